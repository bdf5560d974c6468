//! End-to-end tests: the real `jianxin` binary and the HTTP API, on real SQLite files and
//! a real PostgreSQL (`JIANXIN_TEST_PG`, set by `scripts/test`).

mod binary;
mod browser;
mod cases;
mod cli;
mod cli_draw;
mod cli_import;
mod credit;
mod helpers;
mod http;
mod http_directory;
mod http_draw;
mod http_web;
mod rate_limit;
mod results;
mod scheduler;
mod sql_binding;
mod webhooks;
