//! A TCP proxy in front of PostgreSQL that a test can cut and restore (a
//! real outage: connections reset, new ones refused) or freeze and thaw (a
//! server that stops answering: connections stay open, nothing passes),
//! for one test only.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy; dropping it stops it.
#[derive(Debug)]
pub struct Proxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    frozen: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free port and forwards to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let up = Arc::new(AtomicBool::new(true));
        let frozen = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (accept_up, accept_connections) = (up.clone(), connections.clone());
        let accept_frozen = frozen.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !accept_up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let frozen = accept_frozen.clone();
                let task = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        let (from_client, to_client) = client.into_split();
                        let (from_server, to_server) = server.into_split();
                        tokio::select! {
                            () = pump(from_client, to_server, frozen.clone()) => {}
                            () = pump(from_server, to_client, frozen) => {}
                        }
                    }
                });
                accept_connections.lock().expect("proxy lock").push(task);
            }
        });
        Self {
            port,
            up,
            frozen,
            connections,
            accept,
        }
    }

    /// Holds every byte from now on, in both directions, connections open.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Lets held and new bytes through again.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }

    /// Resets every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.connections.lock().expect("proxy lock").drain(..) {
            task.abort();
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Copies `from` to `to`, holding each chunk while frozen.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    frozen: Arc<AtomicBool>,
) {
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            return;
        }
        while frozen.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
pub fn address_of(url: &str) -> SocketAddr {
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("URL authority");
    let host_port = authority.rsplit('@').next().expect("host");
    host_port.parse().expect("numeric host:port")
}
