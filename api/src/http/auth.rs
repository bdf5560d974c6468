//! Who is calling: `Authorization: Bearer <token>` checked against the deployment key
//! ([`crate::tokens::verify`] at the state's clock) gives the [`Claims`]; [`Authorized`]
//! further requires one of a [`RoleSet`]. No token → 401; a token that does not verify,
//! has expired or is malformed → 401 `invalid_token`; a valid token of another role → 403.
//! Public routes take neither extractor. Handlers that change state take the actor from
//! the claims (`claims.actor()`), never from the request body.

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use jianxin_domain::event_log::Role;

use super::error::ApiError;
use crate::state::AppState;
use crate::tokens::Claims;

impl<S> FromRequestParts<S> for Claims
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let token = bearer_token(&parts.headers)?;
        Ok(state
            .tokens
            .verify(&state.verifier, token, state.clock.now())?)
    }
}

/// The token in `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized {
            message: "this resource needs `Authorization: Bearer <token>`".into(),
            invalid: false,
        });
    };
    let malformed = || ApiError::Unauthorized {
        message: "malformed Authorization header: expected `Bearer <token>`".into(),
        invalid: true,
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// A named set of roles a route admits.
pub trait RoleSet: Send + Sync + 'static {
    /// The roles, as the 403 problem and the OpenAPI document list them.
    const ROLES: &'static [Role];
}

/// Administrators only: metrics, reference-data loads.
pub struct Admins;
impl RoleSet for Admins {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// Those who read the whole trail: supervisors and administrators.
pub struct Auditors;
impl RoleSet for Auditors {
    const ROLES: &'static [Role] = &[Role::Supervisor, Role::Admin];
}

/// Staff who work with reference data (calendar, divisions).
pub struct ReferenceReaders;
impl RoleSet for ReferenceReaders {
    const ROLES: &'static [Role] = &[
        Role::Admin,
        Role::Planner,
        Role::Supervisor,
        Role::CreditOfficer,
    ];
}

/// Who reads the subject directory: everyone who plans, inspects, supervises or rates
/// credit (external systems do not).
pub struct SubjectReaders;
impl RoleSet for SubjectReaders {
    const ROLES: &'static [Role] = &[
        Role::Admin,
        Role::Planner,
        Role::Inspector,
        Role::Supervisor,
        Role::CreditOfficer,
    ];
}

/// Who reads the inspection item list: the subject readers but credit officers.
pub struct ItemReaders;
impl RoleSet for ItemReaders {
    const ROLES: &'static [Role] = &[
        Role::Admin,
        Role::Planner,
        Role::Inspector,
        Role::Supervisor,
    ];
}

/// Who reads the inspector directory and the implementation rules: those who plan
/// draws and those who oversee them.
pub struct PlanningReaders;
impl RoleSet for PlanningReaders {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Planner, Role::Supervisor];
}

/// Who changes the directories and the rules: administrators and planners.
pub struct DirectoryWriters;
impl RoleSet for DirectoryWriters {
    const ROLES: &'static [Role] = &[Role::Admin, Role::Planner];
}

/// Verified claims whose role is one of `R`'s.
pub struct Authorized<R: RoleSet>(pub Claims, PhantomData<R>);

impl<S, R> FromRequestParts<S> for Authorized<R>
where
    AppState: FromRef<S>,
    S: Send + Sync,
    R: RoleSet,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let claims = Claims::from_request_parts(parts, state).await?;
        require(&claims, R::ROLES)?;
        Ok(Authorized(claims, PhantomData))
    }
}

/// The caller's claims on a route that is public but answers more to some roles: `None`
/// without an `Authorization` header; a header that does not verify is 401 as anywhere
/// else, so a mistyped token is never silently served the anonymous answer.
pub(super) fn claims_if_any(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Claims>, ApiError> {
    if !headers.contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    let token = bearer_token(headers)?;
    Ok(Some(state.tokens.verify(
        &state.verifier,
        token,
        state.clock.now(),
    )?))
}

/// 403 unless the claims' role is one of `allowed`.
pub fn require(claims: &Claims, allowed: &'static [Role]) -> Result<(), ApiError> {
    if allowed.contains(&claims.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            role: claims.role,
            allowed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn bearer_tokens_are_read_and_other_schemes_refused() {
        assert_eq!(
            bearer_token(&headers("Bearer jx1.a.b")).ok(),
            Some("jx1.a.b")
        );
        assert_eq!(
            bearer_token(&headers("bearer  jx1.a.b ")).ok(),
            Some("jx1.a.b")
        );
        for bad in ["Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "jx1.a.b"] {
            assert!(
                matches!(
                    bearer_token(&headers(bad)),
                    Err(ApiError::Unauthorized { invalid: true, .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::Unauthorized { invalid: false, .. })
        ));
    }

    #[test]
    fn roles_outside_the_set_are_forbidden() {
        let claims = Claims {
            jti: uuid::Uuid::nil(),
            sub: "p".into(),
            role: Role::Planner,
            scopes: vec![],
            iat: 0,
            exp: 1,
        };
        assert!(require(&claims, ReferenceReaders::ROLES).is_ok());
        assert!(matches!(
            require(&claims, Auditors::ROLES),
            Err(ApiError::Forbidden {
                role: Role::Planner,
                ..
            })
        ));
    }
}
