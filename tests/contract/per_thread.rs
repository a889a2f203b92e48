//! PostgreSQL only: each thread that applies deliveries commits them through
//! group-commit workers and connections of its own, which end with the store.

use std::time::{Duration, Instant};

use ghfe::adapters::postgres::PgStore;
use ghfe::domain::job::JobAction;
use ghfe::domain::outcome::Outcome;
use ghfe::ports::{Applied, JobStore};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::watch;

use crate::records;
use crate::support::db;

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// Connections to the database of `url`, other than the one asking.
async fn connections(url: &str) -> i64 {
    db::connect(url)
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[test]
fn each_thread_commits_on_workers_of_its_own_that_end_with_the_store() {
    let main = runtime();
    let url = main.block_on(db::fresh_database());
    let (store, finished) = main
        .block_on(async { PgStore::connect(&db::options(&url)) })
        .expect("pool");
    // The threads' runtimes, and the workers on them, outlive the store.
    let (release, released) = watch::channel(false);
    let (applied, all_applied) = std::sync::mpsc::channel();
    let threads: Vec<_> = [1_000, 2_000]
        .into_iter()
        .map(|first| {
            let (store, mut released, applied) = (store.clone(), released.clone(), applied.clone());
            std::thread::spawn(move || {
                runtime().block_on(async move {
                    for id in first..first + 5 {
                        let delivery = format!("delivery-{id}");
                        let answer = store
                            .apply(
                                records::job(id, JobAction::Queued, Some(&delivery)),
                                crate::records::soon(),
                            )
                            .await
                            .expect("committed");
                        assert!(matches!(
                            answer,
                            Applied::Recorded {
                                outcome: Outcome::JobStored(_),
                                ..
                            }
                        ));
                    }
                    drop(store);
                    applied.send(()).unwrap();
                    released.wait_for(|done| *done).await.unwrap();
                });
            })
        })
        .collect();
    for _ in &threads {
        all_applied.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    main.block_on(async {
        assert!(!finished.is_finished(), "the store is still alive");
        drop(store);
        tokio::time::timeout(Duration::from_secs(10), finished)
            .await
            .expect("every worker ended once the store was dropped")
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while connections(&url).await > 0 {
            assert!(
                Instant::now() < deadline,
                "the store's connections stay open"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    release.send(true).unwrap();
    for thread in threads {
        thread.join().unwrap();
    }
}
