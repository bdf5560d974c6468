//! Fuzz target `json_commands`: the JSON bodies of the API's commands, decoded and
//! checked as their routes do before the database ([`check_command_body`]).
//!
//! Anyone with a token can post any bytes; the answer must be a problem (400, 422), never
//! a panic inside a handler. The first byte picks the route; the rest is the body.

#![no_main]

use jianxin_api::http::{check_command_body, CommandBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let route = CommandBody::ALL[usize::from(selector) % CommandBody::ALL.len()];
    let _ = check_command_body(route, body);
});
