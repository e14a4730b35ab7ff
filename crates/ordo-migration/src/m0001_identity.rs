//! Accounts, sessions and everything needed to sign in.

use crate::columns::*;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_identity"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(name("users"))
                    .col(uuid_pk("id"))
                    .col(string("email", 320))
                    .col(string_null("username", 64))
                    .col(string_null("password_hash", 255))
                    .col(string("role", 16))
                    .col(string("first_name", 100))
                    .col(string("last_name", 100))
                    .col(string_null("department", 100))
                    .col(string_null("designation", 100))
                    .col(string_null("gender", 16))
                    .col(string_null("phone_number", 32))
                    .col(string_null("address", 500))
                    .col(boolean("has_avatar", false))
                    .col(boolean("active", true))
                    .col(boolean("email_verified", false))
                    .col(timestamp_null(db, "deleted_at"))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index("users", "uq_users_email", &["email"]))
            .await?;
        manager
            .create_index(unique_index("users", "uq_users_username", &["username"]))
            .await?;
        manager
            .create_index(index("users", "ix_users_role_active", &["role", "active"]))
            .await?;
        manager
            .create_index(index("users", "ix_users_created_at", &["created_at"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("sessions"))
                    .col(uuid_pk("id"))
                    .col(uuid("user_id"))
                    .col(string("method", 16))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "expires_at"))
                    .col(timestamp_null(db, "revoked_at"))
                    .col(string_null("revoke_reason", 32))
                    .col(string_null("ip", 64))
                    .col(string_null("user_agent", 255))
                    .foreign_key(&mut foreign_key("sessions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("sessions", "ix_sessions_user", &["user_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("refresh_tokens"))
                    .col(uuid_pk("id"))
                    .col(uuid("session_id"))
                    .col(string("token_hash", 64))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "expires_at"))
                    .col(timestamp_null(db, "used_at"))
                    .foreign_key(&mut foreign_key("refresh_tokens", "session_id", "sessions"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "refresh_tokens",
                "uq_refresh_tokens_hash",
                &["token_hash"],
            ))
            .await?;
        manager
            .create_index(index(
                "refresh_tokens",
                "ix_refresh_tokens_session",
                &["session_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("password_reset_tokens"))
                    .col(uuid_pk("id"))
                    .col(uuid("user_id"))
                    .col(string("token_hash", 64))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "expires_at"))
                    .col(timestamp_null(db, "used_at"))
                    .foreign_key(&mut foreign_key(
                        "password_reset_tokens",
                        "user_id",
                        "users",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "password_reset_tokens",
                "uq_password_reset_tokens_hash",
                &["token_hash"],
            ))
            .await?;
        manager
            .create_index(index(
                "password_reset_tokens",
                "ix_password_reset_tokens_user",
                &["user_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("oauth_identities"))
                    .col(uuid_pk("id"))
                    .col(uuid("user_id"))
                    .col(string("provider", 32))
                    .col(string("subject", 255))
                    .col(string("email", 320))
                    .col(timestamp(db, "created_at"))
                    .foreign_key(&mut foreign_key("oauth_identities", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "oauth_identities",
                "uq_oauth_identities_subject",
                &["provider", "subject"],
            ))
            .await?;
        manager
            .create_index(index(
                "oauth_identities",
                "ix_oauth_identities_user",
                &["user_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("oauth_states"))
                    .col(uuid_pk("id"))
                    .col(string("state_hash", 64))
                    .col(string("provider", 32))
                    .col(string("pkce_verifier", 128))
                    .col(timestamp(db, "created_at"))
                    .col(timestamp(db, "expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "oauth_states",
                "uq_oauth_states_hash",
                &["state_hash"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("user_avatars"))
                    .col(uuid_pk("user_id"))
                    .col(string("content_type", 32))
                    .col(bytes(db, "data"))
                    .col(timestamp(db, "updated_at"))
                    .foreign_key(&mut foreign_key("user_avatars", "user_id", "users"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("login_attempts"))
                    .col(uuid_pk("id"))
                    .col(string("email", 320))
                    .col(string("ip", 64))
                    .col(boolean("success", false))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "login_attempts",
                "ix_login_attempts_email",
                &["email", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "login_attempts",
                "ix_login_attempts_ip",
                &["ip", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("server_secrets"))
                    .col(
                        ColumnDef::new(name("name"))
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(string("value", 255))
                    .col(timestamp(db, "created_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "server_secrets",
            "login_attempts",
            "user_avatars",
            "oauth_states",
            "oauth_identities",
            "password_reset_tokens",
            "refresh_tokens",
            "sessions",
            "users",
        ] {
            manager
                .drop_table(Table::drop().table(name(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
