//! Who this application is to its peers, made once on first start and shared by every node:
//! the server id (the manifest `id`), the OAuth consumer key, and the RSA key pair whose public
//! half peers read from consumer-info. Also the first administrator.

use applinks_core::store::{SettingStore, StoreError, UserStore};
use applinks_core::user::{NewUser, Username};
use applinks_oauth1::{PrivateKey, PublicKey};
use applinks_store::Database;

use crate::password;
use crate::secrets::{SecretKey, SecretKeyError};

const SERVER_ID: &str = "server.id";
const CONSUMER_KEY: &str = "oauth.consumer_key";
const PRIVATE_KEY: &str = "oauth.private_key";

/// The application's identity, loaded once at start.
#[derive(Debug, Clone)]
pub struct Identity {
    server_id: uuid::Uuid,
    consumer_key: String,
    private_key: PrivateKey,
    public_key: PublicKey,
    public_key_base64: String,
}

impl Identity {
    /// The stable application id: the manifest `id` and the id peers give their link to us.
    pub fn server_id(&self) -> uuid::Uuid {
        self.server_id
    }

    /// The key peers know our OAuth requests by.
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// The private key outgoing OAuth requests are signed with.
    pub fn private_key(&self) -> &PrivateKey {
        &self.private_key
    }

    /// The public key, for peers to verify our signatures.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The public key as consumer-info serves it: base64 DER SubjectPublicKeyInfo.
    pub fn public_key_base64(&self) -> &str {
        &self.public_key_base64
    }
}

/// What the first start (or any start) produced.
#[derive(Debug)]
pub struct Bootstrap {
    /// The application's identity.
    pub identity: Identity,
    /// The password made up for `admin`, when this start created that user without one given.
    /// Show it once; it is not stored anywhere in clear.
    pub generated_admin_password: Option<String>,
}

/// Why the server could not establish its identity.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The database failed.
    #[error("the database failed while loading the server identity")]
    Store(#[from] StoreError),
    /// The stored private key cannot be decrypted with the configured secret key.
    #[error(transparent)]
    SecretKey(#[from] SecretKeyError),
    /// The stored private key is not a valid key.
    #[error("the stored private key is invalid: {0}")]
    Key(String),
    /// `APPLINKS_ADMIN_PASSWORD` breaks the password rules.
    #[error("APPLINKS_ADMIN_PASSWORD is not acceptable: {0}")]
    AdminPassword(#[from] password::PasswordError),
}

/// Loads the identity, creating whatever is missing: the server id, the consumer key, the key
/// pair and, in an empty user table, the administrator `admin`.
///
/// Safe to run on several nodes at once: each value is inserted only if absent and then read
/// back, so every node ends up with the first one written.
pub async fn bootstrap(
    database: &Database,
    secret_key: &SecretKey,
    admin_password: Option<String>,
) -> Result<Bootstrap, BootstrapError> {
    let fresh_id = uuid::Uuid::new_v4().to_string();
    let server_id = database.setting_or_insert(SERVER_ID, &fresh_id).await?;
    let server_id = uuid::Uuid::parse_str(&server_id).map_err(|_| {
        StoreError::Corrupt(format!("stored server id {server_id:?} is not a UUID"))
    })?;
    let consumer_key = database
        .setting_or_insert(CONSUMER_KEY, &format!("applinks:{server_id}"))
        .await?;

    let private_key = load_or_create_key(database, secret_key).await?;
    let public_key = private_key.public_key();
    let generated_admin_password = create_first_admin(database, admin_password).await?;

    Ok(Bootstrap {
        identity: Identity {
            server_id,
            consumer_key,
            public_key_base64: public_key.to_base64_der(),
            private_key,
            public_key,
        },
        generated_admin_password,
    })
}

/// Reads the sealed private key, or generates, seals and stores a new RSA-2048 key.
async fn load_or_create_key(
    database: &Database,
    secret_key: &SecretKey,
) -> Result<PrivateKey, BootstrapError> {
    let sealed = match database.setting(PRIVATE_KEY).await? {
        Some(sealed) => sealed,
        None => {
            // Key generation takes up to a few hundred milliseconds: keep it off the runtime.
            let generated = tokio::task::spawn_blocking(PrivateKey::generate)
                .await
                .map_err(|error| BootstrapError::Key(error.to_string()))?
                .map_err(|error| BootstrapError::Key(error.to_string()))?;
            let pem = generated
                .to_pkcs8_pem()
                .map_err(|error| BootstrapError::Key(error.to_string()))?;
            let sealed = secret_key.seal(PRIVATE_KEY, pem.expose().as_bytes());
            let winner = database.setting_or_insert(PRIVATE_KEY, &sealed).await?;
            if winner == sealed {
                tracing::info!("generated the server's RSA key pair");
            }
            winner
        }
    };
    let pem = secret_key.open(PRIVATE_KEY, &sealed)?;
    let pem = String::from_utf8(pem).map_err(|_| BootstrapError::Key("not UTF-8 PEM".into()))?;
    PrivateKey::from_pem(&pem).map_err(|error| BootstrapError::Key(error.to_string()))
}

/// Creates `admin` when there are no users at all, returning a generated password if none was
/// given.
async fn create_first_admin(
    database: &Database,
    given_password: Option<String>,
) -> Result<Option<String>, BootstrapError> {
    if database.user_count().await? > 0 {
        return Ok(None);
    }
    let generated = given_password.is_none().then(generate_password);
    let password = given_password
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let hash = password::hash(password).await?;
    let admin = Username::parse("admin").expect("`admin` is a valid user name");
    let user = NewUser::new(admin, Some("Administrator"), None, true, hash)
        .expect("fixed profile fields are valid");
    match database.create_user(&user).await {
        Ok(()) => {
            tracing::info!("created the administrator `admin`");
            Ok(generated)
        }
        // Another node created it between our count and our insert.
        Err(StoreError::Conflict) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// A random password of 20 URL-safe characters.
fn generate_password() -> String {
    use base64::Engine as _;
    let mut bytes = [0; 15];
    openssl::rand::rand_bytes(&mut bytes).expect("the system random generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
