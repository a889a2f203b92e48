//! The store contract (`ports::JobStore`, `ports::EventLog`): one suite of
//! clauses, run against the in-memory adapter and against PostgreSQL.

#[path = "../support/mod.rs"]
mod support;

mod atomic;
mod clauses;
mod per_thread;
mod records;
mod stores;
mod together;

/// Instantiates every clause for one store factory.
macro_rules! contract_suite {
    ($adapter:ident, $make:path, $unreachable:path) => {
        mod $adapter {
            contract_suite!(@clauses $make;
                queued_for_an_unknown_job_stores_it_pending,
                queued_for_a_known_job_changes_nothing,
                status_only_moves_forward,
                an_out_of_order_delivery_leaves_a_tombstone,
                an_unknown_job_without_installation_is_not_found_and_not_stored,
                a_stored_job_reads_back_as_written,
                transitions_fill_pod_and_times_like_the_domain,
                a_seen_delivery_id_is_a_duplicate_that_changes_nothing,
                a_duplicate_repeats_its_first_outcome_after_later_changes,
                deliveries_without_an_id_are_never_deduplicated,
                concurrent_duplicate_deliveries_yield_one_job_and_one_event,
                concurrent_deliveries_for_one_job_yield_one_consistent_row,
                deliveries_applied_together_mean_what_one_by_one_means,
                a_run_delivery_is_recorded,
                event_rows_carry_outcome_entity_and_payload,
                events_come_oldest_first_within_the_limit,
                events_are_searched_newest_first_and_counted,
                an_installation_resolves_through_events_then_jobs,
            );

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn an_unreachable_store_answers_unavailable() {
                crate::clauses::an_unreachable_store_answers_unavailable($unreachable().await).await;
            }
        }
    };
    (@clauses $make:path; $($clause:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $clause() {
                crate::clauses::$clause($make().await).await;
            }
        )*
    };
}

contract_suite!(
    memory,
    crate::stores::memory,
    crate::stores::memory_unreachable
);
contract_suite!(
    postgres,
    crate::stores::postgres,
    crate::stores::postgres_unreachable
);
