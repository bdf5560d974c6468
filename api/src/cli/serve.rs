//! `jianxin serve` (the API, with the scheduler and webhook delivery inside) and
//! `jianxin demo seed`.

use std::time::Duration;

use jianxin_projections::EventLog;

use super::args::{DemoCommand, ServeArgs};
use super::output::print;
use super::{CliError, Format};
use crate::settings::Settings;
use crate::state::AppState;
use crate::{demo, http, keys};

/// Structured logs on stderr: `RUST_LOG` filters, `JIANXIN_LOG_FORMAT=json` for JSON lines.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("JIANXIN_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

async fn open(settings: &Settings, create_key: bool) -> Result<AppState, CliError> {
    let signer = if create_key {
        keys::load_or_generate(&settings.key_file, &settings.origin)?
    } else {
        keys::load(&settings.key_file)?
    };
    let log = EventLog::open(&settings.db).await?;
    Ok(AppState::new(
        log,
        signer,
        settings.clock.clone(),
        &settings.origin,
    ))
}

fn print_seed(format: Format, base: Option<&str>, seed: &demo::DemoSeed) {
    print(format, seed, || {
        let mut s = format!("demo seeded: {} events appended\n", seed.events_appended);
        if let Some(base) = base {
            s.push_str(&format!(
                "open {base}/web/ (public site; staff log in with a token below) — {base}/docs (API) — public: {base}/v1/log/checkpoint\n"
            ));
        }
        s.push_str("demo tokens (Authorization: Bearer <token>):\n");
        for t in &seed.tokens {
            s.push_str(&format!(
                "  {:<16} {:<24} {}\n",
                t.role.as_str(),
                t.user,
                t.token
            ));
        }
        s
    });
}

/// Run the HTTP service until Ctrl-C / SIGTERM.
pub async fn serve(settings: &Settings, format: Format, args: ServeArgs) -> Result<(), CliError> {
    init_tracing();
    let targets =
        crate::webhooks::TargetPolicy::allowing(&args.webhook_allow).map_err(CliError::Usage)?;
    let state = open(settings, args.demo)
        .await?
        .with_rate_limit(http::RateLimit::new(
            args.anonymous_rate_per_minute,
            args.anonymous_burst,
        ))
        .with_webhook_targets(targets);
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| CliError::Infra(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Infra(format!("listener: {e}")))?;
    let base = format!("http://{addr}");
    if args.demo {
        let mut seeded = demo::seed(&state).await?;
        // published results for the public site; `demo seed` leaves them to the tests
        seeded.events_appended += crate::demo_results::seed_results(&state).await?;
        print_seed(format, Some(&base), &seeded);
    }
    let jobs = if args.no_scheduler {
        None
    } else {
        let config = super::scheduler::load_config(args.schedule.schedule.as_deref())?;
        let scheduler = jianxin_scheduler::Scheduler::new(
            state.log.clone(),
            state.signer.clone(),
            &settings.origin,
            config,
        );
        let clock = settings.clock.clone();
        tracing::info!("scheduler running inside the service");
        Some(tokio::spawn(async move {
            scheduler.run(clock, std::future::pending()).await
        }))
    };
    let webhooks = if args.no_webhooks {
        None
    } else {
        let config = crate::webhooks::DeliveryConfig {
            poll: Duration::from_millis(args.webhook_poll_ms),
            retry_initial: Duration::from_millis(args.webhook_retry_ms),
            retry_max: Duration::from_millis(args.webhook_retry_max_ms.max(args.webhook_retry_ms)),
            timeout: Duration::from_millis(args.webhook_timeout_ms),
        };
        tracing::info!("webhook delivery running inside the service");
        let state = state.clone();
        Some(tokio::spawn(crate::webhooks::worker::run(
            state,
            config,
            std::future::pending(),
        )))
    };
    tracing::info!(db = %settings.db.redacted(), %addr, "jianxin listening");
    eprintln!("listening on {base}");
    let header_timeout = Duration::from_secs(args.header_read_timeout_secs);
    let served = http::serve_with(state, listener, shutdown_signal(), header_timeout)
        .await
        .map_err(|e| CliError::Infra(format!("server: {e}")));
    for task in [
        jobs.map(|j| j.abort_handle()),
        webhooks.map(|w| w.abort_handle()),
    ]
    .into_iter()
    .flatten()
    {
        task.abort();
    }
    served
}

/// `jianxin demo seed`.
pub async fn demo(settings: &Settings, format: Format, cmd: DemoCommand) -> Result<(), CliError> {
    if let DemoCommand::Generate(args) = cmd {
        return super::generate::run(format, args);
    }
    let state = open(settings, true).await?;
    let seeded = demo::seed(&state).await;
    state.log.database().close().await;
    print_seed(format, None, &seeded?);
    Ok(())
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
