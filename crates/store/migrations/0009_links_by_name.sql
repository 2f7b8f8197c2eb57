-- The administrators' list reads links a page at a time in this order.
CREATE INDEX links_by_name ON links (name, id);
