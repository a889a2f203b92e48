//! A batch's transaction in one round trip: `BEGIN`, every statement and
//! `COMMIT` are sent together, and the answers read afterwards.
//!
//! Order is what makes this safe. Every part is a prepared statement, and
//! diesel-async hands each one its statement under one FIFO lock before
//! sending it, preparing it first when needed, so the server receives the
//! parts in the order they are polled: `BEGIN`, the statements in order,
//! `COMMIT` (checked with PostgreSQL's statement log while measuring). A
//! `sql_query` would not do: it is never cached, and would be sent ahead of a
//! statement still being prepared.
//!
//! If a statement fails on the server, PostgreSQL aborts the transaction and
//! answers the `COMMIT` with a rollback, so nothing of the batch is written.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::join_all;

use super::apply::{execute, Executed, Item};
use super::job_batch::JobBatch;

/// `BEGIN` or `COMMIT`, cached like any statement (see the module notes).
#[derive(Debug, Clone, Copy)]
struct Control(&'static str);

impl QueryId for Control {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for Control {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

/// Every answer of one pipelined transaction.
#[derive(Debug)]
pub struct Pipelined {
    begin: QueryResult<usize>,
    executed: Vec<QueryResult<Executed>>,
    commit: QueryResult<usize>,
}

/// How a pipelined transaction ended.
#[derive(Debug)]
pub enum Verdict {
    /// Committed: one result per item (an error here is the client's: the
    /// server ran the statement).
    Committed(Vec<QueryResult<Executed>>),
    /// Rolled back because a statement failed on the server; the first
    /// failure.
    RolledBack(DieselError),
    /// `BEGIN` or `COMMIT` failed: whether anything was written is unknown
    /// unless the error says the connection is gone.
    Failed(DieselError),
}

/// Sends `BEGIN`, each item's statement and `COMMIT` without waiting, then
/// waits for every answer.
pub async fn one_trip(conn: &AsyncPgConnection, items: &[Item]) -> Pipelined {
    let (mut for_begin, mut for_commit) = (conn, conn);
    let (begin, executed, commit) = futures_util::join!(
        Control("BEGIN").execute(&mut for_begin),
        statements(conn, items),
        Control("COMMIT").execute(&mut for_commit),
    );
    Pipelined {
        begin,
        executed,
        commit,
    }
}

/// Sent before the batch statement: how PostgreSQL plans it, for this
/// transaction only (`set_config(…, true)` is `SET LOCAL`).
///
/// - A generic plan, made once. PostgreSQL's own choice plans the
///   statement again for every batch whenever it prefers a custom plan,
///   and forcing custom plans cost 18-26 % at lifecycle c=32.
/// - Lookups by key only. A generic plan is rebuilt on the first run after
///   a `TRUNCATE` or `ANALYZE`, and `EXPLAIN` of one built while `jobs` is
///   empty reads all of `jobs` for the update, a plan that would stay until
///   the next `ANALYZE`. Every table access of the statement is a lookup by
///   key, so sequential scans and hash and merge joins are turned off, and
///   the update probes `jobs_pkey` per delivery.
const PLANNING: &str = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), \
     set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), \
     set_config('enable_mergejoin', 'off', true)";

/// Each item's statement, or one statement for the job deliveries among
/// them when `JobBatch` can carry them, and one for each other item.
async fn statements(conn: &AsyncPgConnection, items: &[Item]) -> Vec<QueryResult<Executed>> {
    let Some((batch, carried)) = JobBatch::of(items) else {
        return join_all(items.iter().map(|item| execute(conn, item))).await;
    };
    let is_carried = |index: &usize| carried.binary_search(index).is_ok();
    let others = items
        .iter()
        .enumerate()
        .filter(|(index, _)| !is_carried(index))
        .map(|(_, item)| execute(conn, item));
    let mut for_setting = conn;
    let (setting, applied, others) = futures_util::join!(
        Control(PLANNING).execute(&mut for_setting),
        batch.run(conn),
        join_all(others)
    );
    // A failed setting aborts the transaction, so the statements after it
    // fail with it and the batch is retried one delivery at a time.
    drop(setting);
    let (mut applied, mut others) = (applied.into_iter(), others.into_iter());
    (0..items.len())
        .map(|index| {
            let next = if is_carried(&index) {
                applied.next().map(|result| result.map(Executed::Job))
            } else {
                others.next()
            };
            next.expect("one result per statement")
        })
        .collect()
}

impl Pipelined {
    pub fn verdict(self) -> Verdict {
        let Self {
            begin,
            executed,
            commit,
        } = self;
        if let Err(error) = begin.and(commit) {
            return Verdict::Failed(error);
        }
        // A server error aborts the transaction, and COMMIT then rolls back.
        let mut executed = executed;
        match executed
            .iter()
            .position(|result| matches!(result, Err(DieselError::DatabaseError(..))))
        {
            Some(failed) => match executed.swap_remove(failed) {
                Err(error) => Verdict::RolledBack(error),
                Ok(_) => unreachable!("position found an error"),
            },
            None => Verdict::Committed(executed),
        }
    }
}
