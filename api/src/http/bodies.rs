//! The JSON command bodies the API accepts, decoded and checked as their routes do before
//! any database work: the same decoder as [`AppJson`](super::AppJson) and the same check
//! functions the handlers call.
//!
//! This is the entry of the fuzz target `json_commands` (`fuzz/`): a body, however
//! malformed, must come back as an [`ApiError`], never as a panic in a handler. What
//! needs the log (does the task exist, may this step happen now) is not checked here;
//! the task file (`POST /v1/tasks`) is decoded only as JSON for that reason, since its
//! parser checks names against the directories.

use serde_json::Value;
use uuid::Uuid;

use jianxin_domain::identifiers::Uscc;

use super::error::ApiError;
use super::extract::decode_json;
use super::{cases, credit, results, rules, subscriptions, tasks};

/// A route's JSON body, by the route that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandBody {
    /// `POST /v1/cases`.
    OpenCase,
    /// `POST /v1/cases/{id}/steps`.
    OfficerStep,
    /// `POST /v1/cases/{id}/approvals`.
    Approval,
    /// `POST /v1/credit/subscriptions`.
    Subscribe,
    /// `POST /v1/me/assignments/{task}/{uscc}/recusal` and `POST /v1/tasks/{id}/redraw`.
    Reason,
    /// `POST /v1/tasks`: the task file, as JSON.
    TaskFile,
    /// `POST /v1/tasks/{id}/commitments`.
    Commitment,
    /// `POST /v1/tasks/{id}/freeze`.
    Freeze,
    /// `POST /v1/tasks/{id}/reveals`.
    Reveal,
    /// `POST /v1/tasks/{id}/beacon`.
    Beacon,
    /// `POST /v1/tasks/{id}/results`: the result file.
    RecordResult,
    /// `POST /v1/tasks/{id}/results/{uscc}/corrections`.
    Correction,
    /// `POST /v1/rules`.
    PublishRules,
    /// `POST /v1/credit/check:batch`.
    CheckBatch,
    /// `POST /v1/credit/queries/{id}/feedback`.
    Feedback,
    /// The credit officer's steps (`POST /v1/credit/records`, `…/entries`, removals,
    /// annulments, repairs), with the action name the route adds.
    CreditAction(&'static str),
}

impl CommandBody {
    /// Every body, each credit action once.
    pub const ALL: [CommandBody; 22] = [
        CommandBody::OpenCase,
        CommandBody::OfficerStep,
        CommandBody::Approval,
        CommandBody::Subscribe,
        CommandBody::Reason,
        CommandBody::TaskFile,
        CommandBody::Commitment,
        CommandBody::Freeze,
        CommandBody::Reveal,
        CommandBody::Beacon,
        CommandBody::RecordResult,
        CommandBody::Correction,
        CommandBody::PublishRules,
        CommandBody::CheckBatch,
        CommandBody::Feedback,
        CommandBody::CreditAction("record"),
        CommandBody::CreditAction("enter"),
        CommandBody::CreditAction("remove"),
        CommandBody::CreditAction("annul"),
        CommandBody::CreditAction("apply_repair"),
        CommandBody::CreditAction("repair_record"),
        CommandBody::CreditAction("decide_repair"),
    ];
}

/// The task id the routes with a `{id}` carry, fixed.
const ROUTE_TASK: Uuid = Uuid::from_u128(0x6a78_7461_736b_4000_8000_0000_0000_0001);

/// Decodes `bytes` as the route of `body` does and runs the checks it runs before the
/// database.
pub fn check_command_body(body: CommandBody, bytes: &[u8]) -> Result<(), ApiError> {
    match body {
        CommandBody::OpenCase => cases::open_rules(&decode_json(bytes)?).map(drop),
        CommandBody::OfficerStep => {
            cases::officer_case_step(decode_json(bytes)?);
            Ok(())
        }
        CommandBody::Approval => {
            cases::approval_case_step(decode_json(bytes)?);
            Ok(())
        }
        CommandBody::Subscribe => subscriptions::check_body(&decode_json(bytes)?),
        CommandBody::Reason => {
            tasks::check_reason(&decode_json::<tasks::ReasonBody>(bytes)?.reason)
        }
        CommandBody::TaskFile => decode_json::<Value>(bytes).map(drop),
        CommandBody::Commitment => decode_json::<tasks::CommitmentBody>(bytes).map(drop),
        CommandBody::Freeze => decode_json::<tasks::FreezeBody>(bytes).map(drop),
        CommandBody::Reveal => decode_json::<tasks::RevealBody>(bytes).map(drop),
        CommandBody::Beacon => decode_json::<tasks::BeaconBody>(bytes).map(drop),
        CommandBody::RecordResult => {
            let file: Value = decode_json(bytes)?;
            result_file(&file.to_string())
        }
        CommandBody::Correction => {
            let uscc = Uscc::parse("91350100M000100Y43")
                .map_err(|e| ApiError::Internal(format!("the route's USCC: {e}")))?;
            let (_reason, text) = results::correction_file(ROUTE_TASK, &uscc, decode_json(bytes)?)?;
            result_file(&text)
        }
        CommandBody::PublishRules => rules::validate(&decode_json(bytes)?),
        CommandBody::CheckBatch => {
            credit::questions(decode_json::<credit::BatchBody>(bytes)?.items).map(drop)
        }
        CommandBody::Feedback => decode_json::<credit::FeedbackBody>(bytes).map(drop),
        CommandBody::CreditAction(action) => {
            let id = ROUTE_TASK.to_string();
            let path_id = match action {
                "record" | "enter" => None,
                "repair_record" => Some(("record_id", id.as_str())),
                _ => Some(("entry_id", id.as_str())),
            };
            credit::credit_action(action, path_id, decode_json(bytes)?).map(drop)
        }
    }
}

/// A result file parsed as `results::record` parses it, under the route's task.
fn result_file(text: &str) -> Result<(), ApiError> {
    crate::results::parse_result_file(text, Some(ROUTE_TASK))
        .map(drop)
        .map_err(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_refuses_what_is_not_one_json_document() {
        for body in CommandBody::ALL {
            for bytes in [&b""[..], b"{", b"{} {}", b"\"\\ud800\""] {
                assert!(
                    check_command_body(body, bytes).is_err(),
                    "{body:?} accepted {:?}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }

    #[test]
    fn good_bodies_pass() {
        let good: [(CommandBody, &str); 5] = [
            (CommandBody::Reason, r#"{"reason":"conflict of interest"}"#),
            (CommandBody::Freeze, "{}"),
            (CommandBody::OfficerStep, r#"{"step":"file"}"#),
            (CommandBody::OpenCase, r#"{"clue":"a complaint"}"#),
            (
                CommandBody::Subscribe,
                r#"{"url":"http://receiver.example/hook","description":"x"}"#,
            ),
        ];
        for (body, text) in good {
            if let Err(e) = check_command_body(body, text.as_bytes()) {
                panic!("{body:?} refused {text}: {e:?}");
            }
        }
    }
}
