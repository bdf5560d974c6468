//! The HTTP API (placeholder while being written).

use crate::state::AppState;

/// The router.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().with_state(state)
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
