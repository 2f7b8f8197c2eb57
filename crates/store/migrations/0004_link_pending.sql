-- A link whose creation stopped half-way records what is missing, for the repair action.
ALTER TABLE links ADD COLUMN pending TEXT;
