//! The stores under test.

use std::time::Duration;

use ghfe::adapters::memory::MemoryStore;
use ghfe::adapters::postgres::PgStore;

use crate::support::db;

pub async fn memory() -> MemoryStore {
    MemoryStore::new()
}

pub async fn memory_unreachable() -> MemoryStore {
    MemoryStore::unreachable()
}

/// A store on a fresh, migrated database.
pub async fn postgres() -> PgStore {
    let url = db::fresh_database().await;
    PgStore::connect(&db::options(&url)).expect("pool").0
}

/// A store whose server does not exist (nothing listens on port 1).
pub async fn postgres_unreachable() -> PgStore {
    let mut options = db::options("postgres://postgres@127.0.0.1:1/nowhere");
    options.connect_timeout = Duration::from_millis(500);
    options.acquire_timeout = Duration::from_millis(500);
    PgStore::connect(&options).expect("pool").0
}
