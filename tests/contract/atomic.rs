//! PostgreSQL only: a batch commits whole or not at all. A failure of its
//! last delivery (in job order) leaves no row of any delivery of the batch:
//! the others are then applied again, each alone, and answered as if they
//! had come alone; the failing one gets an error.

use futures_util::future::join_all;
use ghfe::adapters::postgres::PgStore;
use ghfe::domain::ids::JobId;
use ghfe::domain::job::JobAction;
use ghfe::domain::outcome::Outcome;
use ghfe::ports::{Applied, JobStore, StoreError};

use crate::records::{job, soon};
use crate::support::db;

#[tokio::test]
async fn a_failure_in_the_last_delivery_of_a_batch_commits_none_of_it() {
    let url = db::fresh_database().await;
    db::connect(&url)
        .await
        .batch_execute(
            "CREATE FUNCTION refuse_job_30() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.job_id = 30 THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_job_30 BEFORE INSERT ON jobs \
             FOR EACH ROW EXECUTE FUNCTION refuse_job_30()",
        )
        .await
        .unwrap();
    let (store, _) = PgStore::connect(&db::options(&url)).expect("pool");
    let store: &PgStore = &store;
    // Applied concurrently from one thread: one batch, job 30 last in it.
    let answers = join_all((1..=30).rev().map(|id| async move {
        let delivery = format!("d{id}");
        (
            id,
            store
                .apply(job(id, JobAction::Queued, Some(&delivery)), soon())
                .await,
        )
    }))
    .await;
    for (id, answer) in answers {
        match answer {
            Ok(Applied::Recorded { outcome, .. }) if id != 30 => {
                assert_eq!(outcome, Outcome::JobStored(JobId(id)), "job {id}");
            }
            Err(StoreError::Unexpected(_)) if id == 30 => {}
            other => panic!("job {id}: {other:?}"),
        }
    }
    let client = db::connect(&url).await;
    for (table, expected) in [("jobs", 29_i64), ("installation_events", 29)] {
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, expected, "{table}");
    }
}
