//! The scheduler's `LISTEN` on `staging_queue_event`, as a channel of
//! notification payloads.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

/// Payloads of notifications on `staging_queue_event`, as they arrive.
pub async fn listen(db_url: &str) -> mpsc::UnboundedReceiver<String> {
    let (client, mut connection) = tokio_postgres::connect(db_url, NoTls).await.unwrap();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(notification) = message {
                drop(sender.send(notification.payload().to_owned()));
            }
        }
    });
    client
        .batch_execute("LISTEN staging_queue_event")
        .await
        .unwrap();
    // The client must outlive the test; the connection task holds the socket.
    std::mem::forget(client);
    receiver
}

/// The next notification's payload, within 10 s.
pub async fn next(receiver: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(10), receiver.recv())
        .await
        .expect("a notification arrives")
        .expect("listener alive")
}
