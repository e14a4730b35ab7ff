//! Sign-in with Google and GitHub: authorization code with PKCE and a single-use state.
//! An account is found by the provider's subject id, else linked by verified e-mail, else created
//! as a customer. Endpoints come from configuration, so any compatible provider can stand in.

use chrono::Duration;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _, TokenUrl,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::sessions;
use super::users::{self, NewUser, Profile};
use crate::audit::AuditEntry;
use crate::config::OAuthProviderSettings;
use crate::error::{AppError, AppResult};
use crate::http::context::RequestContext;
use crate::identity::entity::{oauth_identity, oauth_state, user};
use crate::identity::fields::Email;
use crate::identity::role::Role;
use crate::identity::tokens::hash_secret;
use crate::identity::view::TokenResponse;
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Google,
    Github,
}

impl Provider {
    pub fn parse(name: &str) -> AppResult<Provider> {
        match name {
            "google" => Ok(Provider::Google),
            "github" => Ok(Provider::Github),
            _ => Err(AppError::NotFound("OAuth provider")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Github => "github",
        }
    }

    fn settings(self, state: &AppState) -> AppResult<&OAuthProviderSettings> {
        let settings = match self {
            Provider::Google => &state.settings.oauth_google,
            Provider::Github => &state.settings.oauth_github,
        };
        if settings.is_configured() {
            Ok(settings)
        } else {
            Err(AppError::NotFound("OAuth provider"))
        }
    }

    fn default_endpoints(self) -> [&'static str; 4] {
        match self {
            Provider::Google => [
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://openidconnect.googleapis.com/v1/userinfo",
                "",
            ],
            Provider::Github => [
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
                "https://api.github.com/user/emails",
            ],
        }
    }

    fn scopes(self) -> &'static [&'static str] {
        match self {
            Provider::Google => &["openid", "email", "profile"],
            Provider::Github => &["read:user", "user:email"],
        }
    }
}

struct Endpoints {
    auth: String,
    token: String,
    userinfo: String,
    emails: String,
}

fn endpoints(provider: Provider, s: &OAuthProviderSettings) -> Endpoints {
    let [auth, token, userinfo, emails] = provider.default_endpoints();
    let pick = |configured: &str, default: &str| {
        if configured.is_empty() {
            default.to_string()
        } else {
            configured.to_string()
        }
    };
    Endpoints {
        auth: pick(&s.auth_url, auth),
        token: pick(&s.token_url, token),
        userinfo: pick(&s.userinfo_url, userinfo),
        emails: pick(&s.emails_url, emails),
    }
}

fn upstream(what: &str) -> AppError {
    AppError::Upstream(format!(
        "The sign-in provider did not answer as expected ({what})"
    ))
}

type Client = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(state: &AppState, provider: Provider) -> AppResult<(Client, Endpoints)> {
    let settings = provider.settings(state)?;
    let endpoints = endpoints(provider, settings);
    let redirect = format!(
        "{}/api/v1/auth/oauth/{}/callback",
        state.settings.public_url.trim_end_matches('/'),
        provider.as_str()
    );
    let bad_config = |what: &str| {
        AppError::Internal(anyhow::anyhow!(
            "OAuth {what} for {} is not a valid URL",
            provider.as_str()
        ))
    };
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(endpoints.auth.clone()).map_err(|_| bad_config("auth_url"))?)
        .set_token_uri(TokenUrl::new(endpoints.token.clone()).map_err(|_| bad_config("token_url"))?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(|_| bad_config("public_url"))?);
    Ok((client, endpoints))
}

/// Starts a sign-in: remembers state and PKCE verifier, returns the provider's authorization URL.
pub async fn start(state: &AppState, provider: Provider) -> AppResult<String> {
    let (client, _) = client(state, provider)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for scope in provider.scopes() {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let (url, csrf) = request.url();
    let now = crate::time::now();
    let txn = state.db.begin_write().await?;
    // Forget abandoned sign-ins as we go.
    oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::ExpiresAt.lt(now))
        .exec(&txn)
        .await?;
    oauth_state::ActiveModel {
        id: Set(Uuid::now_v7()),
        state_hash: Set(hash_secret(csrf.secret())),
        provider: Set(provider.as_str().to_string()),
        pkce_verifier: Set(verifier.secret().clone()),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(10)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(url.to_string())
}

#[derive(Debug, Deserialize)]
struct GoogleUser {
    sub: String,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    given_name: Option<String>,
    family_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubUser {
    id: i64,
    login: String,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Who the provider says signed in.
struct ProviderIdentity {
    subject: String,
    verified_email: Option<String>,
    first_name: String,
    last_name: String,
}

async fn get_json<T: serde::de::DeserializeOwned>(
    state: &AppState,
    url: &str,
    token: &str,
) -> AppResult<T> {
    let response = state
        .http_client
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "ordo")
        .send()
        .await
        .map_err(|_| upstream("user info unreachable"))?;
    if !response.status().is_success() {
        return Err(upstream("user info refused"));
    }
    response
        .json()
        .await
        .map_err(|_| upstream("user info unreadable"))
}

async fn fetch_identity(
    state: &AppState,
    provider: Provider,
    endpoints: &Endpoints,
    token: &str,
) -> AppResult<ProviderIdentity> {
    match provider {
        Provider::Google => {
            let u: GoogleUser = get_json(state, &endpoints.userinfo, token).await?;
            Ok(ProviderIdentity {
                subject: u.sub,
                verified_email: u.email.filter(|_| u.email_verified),
                first_name: u.given_name.unwrap_or_default(),
                last_name: u.family_name.unwrap_or_default(),
            })
        }
        Provider::Github => {
            let u: GithubUser = get_json(state, &endpoints.userinfo, token).await?;
            let emails: Vec<GithubEmail> = get_json(state, &endpoints.emails, token).await?;
            let verified = emails
                .iter()
                .filter(|e| e.verified)
                .max_by_key(|e| e.primary)
                .map(|e| e.email.clone());
            let name = u.name.unwrap_or_else(|| u.login.clone());
            let (first, last) = name
                .split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap_or((name, String::new()));
            Ok(ProviderIdentity {
                subject: u.id.to_string(),
                verified_email: verified,
                first_name: first,
                last_name: last,
            })
        }
    }
}

/// Completes a sign-in from the provider's redirect.
pub async fn callback(
    state: &AppState,
    provider: Provider,
    code: &str,
    csrf: &str,
    ctx: &RequestContext,
) -> AppResult<TokenResponse> {
    let (client, endpoints) = client(state, provider)?;
    let stored = oauth_state::Entity::find()
        .filter(oauth_state::Column::StateHash.eq(hash_secret(csrf)))
        .filter(oauth_state::Column::Provider.eq(provider.as_str()))
        .one(state.db.conn())
        .await?;
    let invalid_state = || {
        AppError::field(
            "state",
            "is unknown, expired or already used; start the sign-in again",
        )
    };
    let stored = stored
        .filter(|s| s.expires_at > crate::time::now())
        .ok_or_else(invalid_state)?;
    let deleted = oauth_state::Entity::delete_by_id(stored.id)
        .exec(state.db.conn())
        .await?
        .rows_affected;
    if deleted != 1 {
        return Err(invalid_state());
    }
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(stored.pkce_verifier))
        .request_async(&state.http_client)
        .await
        .map_err(|_| upstream("code exchange failed"))?;
    let identity =
        fetch_identity(state, provider, &endpoints, token.access_token().secret()).await?;
    sign_in(state, provider, identity, ctx).await
}

async fn sign_in(
    state: &AppState,
    provider: Provider,
    identity: ProviderIdentity,
    ctx: &RequestContext,
) -> AppResult<TokenResponse> {
    let txn = state.db.begin_write().await?;
    let linked = oauth_identity::Entity::find()
        .filter(oauth_identity::Column::Provider.eq(provider.as_str()))
        .filter(oauth_identity::Column::Subject.eq(identity.subject.clone()))
        .one(&txn)
        .await?;
    let (user, how) = match linked {
        Some(link) => (users::find_live(&txn, link.user_id).await?, "existing"),
        None => {
            let email = identity
                .verified_email
                .as_deref()
                .and_then(|e| Email::parse("email", e).ok())
                .ok_or_else(|| {
                    AppError::rule(
                        "OAUTH_EMAIL_UNVERIFIED",
                        "The provider did not confirm a verified e-mail address",
                    )
                })?;
            let (user, how) = match users::find_by_email(&txn, email.as_str()).await? {
                // The provider proved the address belongs to this person. If the account never
                // proved it, whoever set its password may not be its owner: the password goes and
                // its sessions end, so only the address's owner keeps the account.
                Some(user) if !user.email_verified => {
                    (claim_unverified(&txn, user, ctx).await?, "claimed")
                }
                Some(user) => (user, "linked"),
                None => {
                    let name = |s: &str, fallback: &str| {
                        let s = s.trim();
                        Some(if s.is_empty() {
                            fallback.to_string()
                        } else {
                            s.chars().take(100).collect()
                        })
                    };
                    let profile = Profile {
                        first_name: name(
                            &identity.first_name,
                            email.as_str().split('@').next().unwrap_or("User"),
                        ),
                        last_name: name(&identity.last_name, "-"),
                        ..Default::default()
                    };
                    let new = NewUser {
                        email,
                        password_hash: None,
                        role: Role::Customer,
                        profile,
                        email_verified: true,
                    };
                    (users::insert(&txn, new).await?, "created")
                }
            };
            oauth_identity::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(user.id),
                provider: Set(provider.as_str().to_string()),
                subject: Set(identity.subject.clone()),
                email: Set(user.email.clone()),
                created_at: Set(crate::time::now()),
            }
            .insert(&txn)
            .await?;
            (user, how)
        }
    };
    if !user.active {
        return Err(AppError::Unauthorized("This account is deactivated".into()));
    }
    let user = mark_verified(&txn, user).await?;
    let method = format!("oauth:{}", provider.as_str());
    let session = sessions::open(&txn, state, user.id, &method, ctx).await?;
    let entry = AuditEntry::new("auth.login", "user", user.id)
        .with_details(json!({ "method": method, "account": how, "sessionId": session.session_id }));
    crate::events::record_change(&txn, Some(user.id), ctx, entry).await?;
    txn.commit().await?;
    sessions::token_response(state, user, session)
}

async fn claim_unverified(
    db: &impl crate::db::Deferring,
    user: user::Model,
    ctx: &RequestContext,
) -> AppResult<user::Model> {
    let had_password = user.password_hash.is_some();
    sessions::revoke_all(db, user.id, "oauth_claimed").await?;
    let mut row: user::ActiveModel = user.into();
    row.password_hash = Set(None);
    row.email_verified = Set(true);
    row.updated_at = Set(crate::time::now());
    let user = row.update(db).await?;
    let entry = AuditEntry::new("user.unverified_account_claimed", "user", user.id)
        .with_details(json!({ "passwordRemoved": had_password }));
    crate::events::record_change(db, Some(user.id), ctx, entry).await?;
    Ok(user)
}

async fn mark_verified(
    db: &impl sea_orm::ConnectionTrait,
    user: user::Model,
) -> AppResult<user::Model> {
    if user.email_verified {
        return Ok(user);
    }
    let mut row: user::ActiveModel = user.into();
    row.email_verified = Set(true);
    Ok(row.update(db).await?)
}
