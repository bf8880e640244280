//! A webhook receiver: a real axum server that records every delivery with its headers and
//! answers as the test scripts it (fail the first n calls, answer 410, or hang).

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The request headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The status the receiver answered.
    pub answered: u16,
}

impl Delivery {
    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// What the receiver saw and how it answers.
#[derive(Default)]
pub struct Script {
    /// Every call, in arrival order.
    pub calls: Mutex<Vec<Delivery>>,
    /// Calls to answer 500 before answering normally.
    pub fail_first: AtomicUsize,
    /// The status of a normal answer (200 unless set).
    pub status: AtomicU16,
    /// Milliseconds to wait before answering.
    pub delay_ms: AtomicUsize,
}

impl Script {
    /// Calls with a 2xx answer.
    pub fn acknowledged(&self) -> Vec<Delivery> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|d| (200..300).contains(&d.answered))
            .cloned()
            .collect()
    }

    /// How many calls arrived.
    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hooks`.
    pub url: String,
    /// Its script and journal.
    pub script: Arc<Script>,
}

impl Receiver {
    /// Starts a receiver answering 200.
    pub async fn start() -> Self {
        let script = Arc::new(Script::default());
        script.status.store(200, Ordering::SeqCst);
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, script }
    }
}

async fn receive(
    State(script): State<Arc<Script>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let delay = script.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay as u64)).await;
    }
    let failing = script
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if failing {
        500
    } else {
        script.status.load(Ordering::SeqCst)
    };
    script.calls.lock().unwrap().push(Delivery {
        headers,
        body,
        answered: status,
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (code, if failing { "receiver down" } else { "ok" })
}
