//! Given/when/then tests of subscriptions (订阅).

use chrono::{TimeZone, Utc};
use esrs::Aggregate;
use uuid::Uuid;

use super::*;
use crate::credit::ListId;
use crate::event_log::{Actor, CommandMeta, Issued, Role};

fn issued(actor: Actor, command: SubscriptionCommand) -> Issued<SubscriptionCommand> {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 8, 30, 0)
        .single()
        .unwrap_or_default();
    Issued {
        meta: CommandMeta::new(Uuid::new_v4(), actor, now),
        command,
    }
}

fn system() -> Actor {
    Actor::new("webhook-delivery", Role::System)
}

fn bank() -> Actor {
    Actor::new("bank-a", Role::ExternalSystem)
}

fn subscribe(url: &str, lists: &[ListId]) -> SubscriptionCommand {
    SubscriptionCommand::Subscribe(Subscribe {
        url: url.into(),
        lists: lists.to_vec(),
        description: "loan desk".into(),
    })
}

fn delivery(after: u64, upto: u64, changes: u32) -> SubscriptionCommand {
    SubscriptionCommand::RecordDelivery(RecordDelivery {
        delivery_id: subscription_delivery_id(Uuid::nil(), after, upto),
        after_seq: after,
        upto_seq: upto,
        changes,
    })
}

/// Given the events of `commands` (each must succeed), the state.
fn given(commands: Vec<(Actor, SubscriptionCommand)>) -> SubscriptionState {
    let mut state = SubscriptionState::default();
    for (actor, command) in commands {
        let events = Subscription::handle_command(&state, issued(actor, command));
        let Ok(events) = events else {
            panic!("given: {events:?}")
        };
        state = events.into_iter().fold(state, Subscription::apply_event);
    }
    state
}

fn when(
    state: &SubscriptionState,
    actor: Actor,
    command: SubscriptionCommand,
) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
    Subscription::handle_command(state, issued(actor, command))
        .map(|v| v.into_iter().map(|r| r.event).collect())
}

#[test]
fn given_nothing_when_a_system_subscribes_then_the_fact_names_it_and_follows_every_list() {
    let state = SubscriptionState::default();
    let events = Subscription::handle_command(
        &state,
        issued(bank(), subscribe("HTTP://Hooks.Example.org:8080", &[])),
    );
    let Ok(events) = events else {
        panic!("{events:?}")
    };
    let mut every = ListId::ALL.to_vec();
    every.sort();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, bank());
    assert_eq!(
        events[0].event,
        SubscriptionEvent::Subscribed {
            url: "http://hooks.example.org:8080/".into(),
            lists: every,
            description: "loan desk".into(),
        }
    );
    let state = events.into_iter().fold(state, Subscription::apply_event);
    assert!(state.active);
    assert_eq!(state.owner, Some(bank()));
    assert_eq!(state.cursor, 0);
}

#[test]
fn given_nothing_when_the_url_or_role_is_wrong_then_nothing_is_recorded() {
    let s = SubscriptionState::default();
    for (url, want) in [
        ("ftp://example.org/x", UrlError::Scheme("ftp".into())),
        ("example.org/hook", UrlError::Scheme(String::new())),
        ("http://user:pw@example.org/", UrlError::Credentials),
        ("http://example.org/a#b", UrlError::Fragment),
        ("http://exa mple.org/", UrlError::Character(10)),
        ("http:///path", UrlError::Host(String::new())),
        ("http://example.org:0/", UrlError::Port("0".into())),
        ("http://example.org:99999/", UrlError::Port("99999".into())),
        ("", UrlError::Length(0)),
    ] {
        assert_eq!(
            when(&s, bank(), subscribe(url, &[])),
            Err(SubscriptionError::Url(want)),
            "{url}"
        );
    }
    let long = format!("http://example.org/{}", "a".repeat(URL_MAX_BYTES));
    assert!(matches!(
        when(&s, bank(), subscribe(&long, &[])),
        Err(SubscriptionError::Url(UrlError::Length(_)))
    ));
    assert_eq!(
        when(
            &s,
            Actor::new("p", Role::Planner),
            subscribe("http://example.org/", &[])
        ),
        Err(SubscriptionError::RoleMaySubscribe(Role::Planner))
    );
    let mut wordy = subscribe("http://example.org/", &[]);
    if let SubscriptionCommand::Subscribe(c) = &mut wordy {
        c.description = "x".repeat(DESCRIPTION_MAX_CHARS + 1);
    }
    assert_eq!(
        when(&s, bank(), wordy),
        Err(SubscriptionError::Text {
            field: "description"
        })
    );
}

#[test]
fn urls_normalise_and_keep_path_query_and_ipv6() {
    let u = WebhookUrl::parse("https://[::1]:9443/hook?x=1");
    let Ok(u) = u else { panic!("{u:?}") };
    assert_eq!((u.host.as_str(), u.port), ("::1", 9443));
    assert_eq!(u.host_header(), "[::1]:9443");
    assert_eq!(u.to_string(), "https://[::1]:9443/hook?x=1");
    let u = WebhookUrl::parse("http://127.0.0.1?q=2");
    let Ok(u) = u else { panic!("{u:?}") };
    assert_eq!((u.port, u.path.as_str()), (80, "/?q=2"));
}

#[test]
fn given_a_subscription_when_batches_are_acknowledged_then_the_cursor_moves_only_forward_from_where_it_stands(
) {
    let state = given(vec![
        (bank(), subscribe("http://example.org/", &[ListId::Serious])),
        (system(), delivery(0, 7, 3)),
    ]);
    assert_eq!((state.cursor, state.deliveries), (7, 1));
    // a stale worker's batch from 0 again
    assert_eq!(
        when(&state, system(), delivery(0, 9, 1)),
        Err(SubscriptionError::NotAtCursor {
            cursor: 7,
            given: 0
        })
    );
    assert!(matches!(
        when(&state, system(), delivery(7, 7, 1)),
        Err(SubscriptionError::BadBatch(_))
    ));
    assert!(matches!(
        when(&state, system(), delivery(7, 9, DELIVERY_BATCH_MAX + 1)),
        Err(SubscriptionError::BadBatch(_))
    ));
    assert_eq!(
        when(&state, bank(), delivery(7, 9, 1)),
        Err(SubscriptionError::NotSystem(Role::ExternalSystem))
    );
    let Ok(events) = when(&state, system(), delivery(7, 12, 2)) else {
        panic!("the next batch is recorded")
    };
    assert!(matches!(
        events.as_slice(),
        [SubscriptionEvent::Delivered {
            after_seq: 7,
            upto_seq: 12,
            changes: 2,
            ..
        }]
    ));
}

#[test]
fn given_a_subscription_when_it_is_ended_then_only_its_owner_or_an_officer_may_and_nothing_more_is_delivered(
) {
    let state = given(vec![(bank(), subscribe("http://example.org/", &[]))]);
    let other = Actor::new("bank-b", Role::ExternalSystem);
    let end = || SubscriptionCommand::Unsubscribe(Unsubscribe { reason: "".into() });
    assert_eq!(
        when(&state, other, end()),
        Err(SubscriptionError::NotOwner("bank-b".into()))
    );
    assert!(when(&state, Actor::new("o", Role::CreditOfficer), end()).is_ok());
    let ended = given(vec![
        (bank(), subscribe("http://example.org/", &[])),
        (bank(), end()),
    ]);
    assert!(!ended.active);
    assert_eq!(when(&ended, bank(), end()), Err(SubscriptionError::Ended));
    assert_eq!(
        when(&ended, system(), delivery(0, 3, 1)),
        Err(SubscriptionError::Ended)
    );
    assert_eq!(
        when(&ended, bank(), subscribe("http://example.org/", &[])),
        Err(SubscriptionError::AlreadySubscribed)
    );
    assert_eq!(
        when(&SubscriptionState::default(), bank(), end()),
        Err(SubscriptionError::NotSubscribed)
    );
}

#[test]
fn the_delivery_id_names_one_batch_and_is_pinned() {
    let id = Uuid::nil();
    assert_eq!(
        subscription_delivery_id(id, 0, 7),
        subscription_delivery_id(id, 0, 7)
    );
    assert_ne!(
        subscription_delivery_id(id, 0, 7),
        subscription_delivery_id(id, 0, 8)
    );
    assert_ne!(
        subscription_delivery_id(id, 0, 7),
        subscription_delivery_id(Uuid::max(), 0, 7)
    );
}
