//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{error, views};
use crate::api::{
    activations, audit, audit_export, diagnostics, directory, groups, oidc_clients, passkeys, pool,
    rules, settings, tokens, user_import, users, verify,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Countersign application API", description = "Second-factor verification and user management. Authenticate with 'Authorization: Bearer <API key>'."),
    paths(users::create, users::list, users::show, users::update, users::remove, users::unlock, users::grant_bypass, users::revoke_bypass, users::set_pin, users::clear_pin,
          tokens::create, tokens::list, tokens::remove, tokens::resync, pool::import, pool::list, pool::unassign, user_import::import, verify::verify, audit::list, audit_export::export, settings::show, settings::update, diagnostics::report, activations::create, directory::status,
          passkeys::begin, passkeys::finish, passkeys::list, passkeys::remove,
          oidc_clients::list, oidc_clients::create, oidc_clients::show, oidc_clients::update, oidc_clients::remove, oidc_clients::rotate_secret,
          groups::create, groups::list, groups::show, groups::remove, groups::add_member, groups::remove_member,
          rules::list, rules::create, rules::show, rules::update, rules::remove, rules::test),
    components(schemas(error::ErrorBody, error::ErrorDetail, views::UserView, views::CreateUser, views::PatchUser,
        views::UserPage, users::GrantBypass, settings::SettingsView, settings::SettingsPatch, views::TokenView, views::TokenList, views::AuditView, views::AuditPage,
        tokens::CreateToken, tokens::Resync, pool::ImportSummary, pool::ImportProblem, user_import::UserImportSummary, user_import::UserImportProblem, verify::VerifyRequest, verify::VerifyResponse, diagnostics::DiagnosticsReport, diagnostics::FindingView, activations::ActivationView, verify::SignInContext, directory::DirectoryStatus, directory::SyncRun,
        passkeys::CeremonyView, passkeys::BeginRegistration, passkeys::PasskeyJson, passkeys::PasskeyList,
        oidc_clients::OidcClientJson, oidc_clients::OidcClientWithSecret, oidc_clients::OidcClientList, oidc_clients::CreateOidcClient, oidc_clients::PatchOidcClient, oidc_clients::RotateSecret,
        groups::CreateGroup, groups::AddMember, groups::GroupView, groups::GroupList, groups::GroupDetailView,
        rules::RuleBody, rules::RuleList, rules::RuleTest, rules::RuleTestResult)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document served at `/api/v1/openapi.json`.
pub fn openapi_json() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    super::openapi_errors::describe(&mut doc);
    serde_json::to_value(doc).unwrap_or_default()
}
