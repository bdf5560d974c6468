//! Integration tests of the stores and the ledger, each run on a real SQLite file and a
//! real PostgreSQL database of its own (`JIANXIN_TEST_PG` names the server).

mod helpers;
mod ledger;
mod store;
