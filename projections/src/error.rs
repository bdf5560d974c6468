//! Storage errors, kept apart from domain errors (esrs's two-layer result): a command
//! either fails as a rule refusal (the aggregate's own error) or as one of these.

/// What went wrong below the domain.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the aggregate first (optimistic concurrency). HTTP 409.
    #[error("conflict: aggregate {aggregate_id} changed concurrently; reload and retry")]
    Conflict {
        /// The aggregate written concurrently.
        aggregate_id: uuid::Uuid,
    },
    /// The operation is refused by design (deleting or rewriting history). HTTP 403.
    #[error("refused: {0}")]
    Refused(String),
    /// The database could not be reached or failed. HTTP 503/500; CLI exit 4.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored payload or envelope could not be read or written.
    #[error("event encoding: {0}")]
    Encoding(String),
    /// A configuration value is invalid (e.g. an unknown database URL scheme). CLI exit 2.
    #[error("configuration: {0}")]
    Config(String),
}

impl StoreError {
    /// True when the error is a unique-key violation (works on SQLite and PostgreSQL).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<jianxin_domain::event_log::EnvelopeError> for StoreError {
    fn from(e: jianxin_domain::event_log::EnvelopeError) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<jianxin_domain::event_log::LedgerEntryError> for StoreError {
    fn from(e: jianxin_domain::event_log::LedgerEntryError) -> Self {
        StoreError::Encoding(e.to_string())
    }
}

impl From<esrs::store::postgres::PgStoreError> for StoreError {
    fn from(e: esrs::store::postgres::PgStoreError) -> Self {
        use esrs::store::postgres::PgStoreError as P;
        match e {
            P::Sqlx(e) => StoreError::Database(e),
            P::Json(e) => StoreError::Encoding(e.to_string()),
            P::Custom(e) => match e.downcast::<StoreError>() {
                Ok(inner) => *inner,
                Err(other) => StoreError::Encoding(other.to_string()),
            },
        }
    }
}
