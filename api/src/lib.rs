//! The jianxin service: the axum HTTP API and the `jianxin` command line, over the
//! event log of `jianxin-projections` and the model of `jianxin-domain`.
//!
//! - [`settings`]: typed configuration (flags, environment, defaults).
//! - [`keys`], [`tokens`]: the deployment key and the API bearer tokens.
//! - [`state`]: [`AppState`], shared by handlers and commands.
//! - [`ops`]: operations shared by CLI and HTTP (validate, build command, execute).
//! - [`tasks`]: inspection tasks and their draw, shared by CLI, HTTP and the demo.
//! - [`results`]: inspection results, their deadlines and publication.
//! - [`deadlines`]: running deadlines counted anew when a working calendar is loaded.
//! - [`http`]: the router, errors as RFC 9457 problems, authentication, OpenAPI.
//! - [`cli`]: the `jianxin` command line.
//! - [`web`]: the web workbench and the public site (`/web/…`).
//! - [`webhooks`]: subscriptions to the change feed and their signed delivery.

pub mod cases;
pub mod cli;
pub mod credit;
pub mod deadlines;
pub mod demo;
pub mod demo_credit;
pub mod demo_results;
pub mod http;
pub mod import;
pub mod keys;
pub mod ops;
pub mod query_log;
pub mod result_flows;
pub mod results;
pub mod settings;
pub mod state;
pub mod tasks;
pub mod tokens;
pub mod web;
pub mod webhooks;

pub use state::AppState;
