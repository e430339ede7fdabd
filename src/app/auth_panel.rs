//! A tab's Auth section: none, Basic, Bearer, or an API key in a header or the query,
//! added to every handshake. Secrets are typed into masked fields; a typed secret is never
//! saved (files get `[redacted]`), a `{{env.NAME}}` reference is.

use egui::RichText;

use crate::engine::oauth2::ClientCredentials;
use crate::engine::{Auth, KeyPlace};

/// The kinds in the selector, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    None,
    Basic,
    Bearer,
    KeyHeader,
    KeyQuery,
    OAuth2,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::None,
        Kind::Basic,
        Kind::Bearer,
        Kind::KeyHeader,
        Kind::KeyQuery,
        Kind::OAuth2,
    ];

    fn of(auth: &Auth) -> Kind {
        match auth {
            Auth::None => Kind::None,
            Auth::Basic { .. } => Kind::Basic,
            Auth::Bearer { .. } => Kind::Bearer,
            Auth::ApiKey {
                place: KeyPlace::Header,
                ..
            } => Kind::KeyHeader,
            Auth::ApiKey {
                place: KeyPlace::Query,
                ..
            } => Kind::KeyQuery,
            Auth::OAuth2(_) => Kind::OAuth2,
        }
    }

    fn label(self) -> &'static str {
        let index = Kind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Auth::KINDS[index]
    }

    /// A fresh auth of this kind, keeping what carries over (an API key's name and value
    /// when switching between header and query).
    fn switch(self, from: &Auth) -> Auth {
        let (name, value) = match from {
            Auth::ApiKey { name, value, .. } => (name.clone(), value.clone()),
            _ => (String::new(), String::new()),
        };
        match self {
            Kind::None => Auth::None,
            Kind::OAuth2 => Auth::OAuth2(ClientCredentials::default()),
            Kind::Basic => Auth::Basic {
                user: String::new(),
                password: String::new(),
            },
            Kind::Bearer => Auth::Bearer {
                token: String::new(),
            },
            Kind::KeyHeader | Kind::KeyQuery => Auth::ApiKey {
                name: if name.is_empty() && self == Kind::KeyHeader {
                    "X-API-Key".into()
                } else {
                    name
                },
                value,
                place: if self == Kind::KeyHeader {
                    KeyPlace::Header
                } else {
                    KeyPlace::Query
                },
            },
        }
    }
}

/// The section's title: `Auth: Bearer token`, or `Auth` when there is none.
pub fn title(auth: &Auth) -> String {
    match Kind::of(auth) {
        Kind::None => "Auth".into(),
        kind => format!("Auth: {}", kind.label()),
    }
}

/// Draws the editor for `auth`; `id` keeps its widgets apart from other tabs'.
pub fn ui(ui: &mut egui::Ui, auth: &mut Auth, id: u64) {
    let current = Kind::of(auth);
    let mut chosen = current;
    ui.horizontal(|ui| {
        let label = ui.label("Type");
        egui::ComboBox::from_id_salt(("auth-kind", id))
            .selected_text(current.label())
            .show_ui(ui, |ui| {
                for kind in Kind::ALL {
                    if ui
                        .selectable_value(&mut chosen, kind, kind.label())
                        .clicked()
                    {
                        // Also when chosen through accessibility, not only by pointer.
                        ui.close();
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    if chosen != current {
        *auth = chosen.switch(auth);
    }
    egui::Grid::new(("auth", id))
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| match auth {
            Auth::None => {}
            Auth::Basic { user, password } => {
                field(ui, "User", user, false);
                field(ui, "Password", password, true);
            }
            Auth::Bearer { token } => field(ui, "Token", token, true),
            Auth::ApiKey { name, value, place } => {
                let what = match place {
                    KeyPlace::Header => "Header",
                    KeyPlace::Query => "Parameter",
                };
                field(ui, what, name, false);
                field(ui, "Key", value, true);
            }
            Auth::OAuth2(credentials) => {
                field(ui, "Token URL", &mut credentials.token_url, false);
                field(ui, "Client ID", &mut credentials.client_id, false);
                field(ui, "Client secret", &mut credentials.client_secret, true);
                field(ui, "Scope", &mut credentials.scope, false);
            }
        });
    if let Err(error) = auth.check() {
        ui.colored_label(ui.visuals().error_fg_color, error.to_string());
    }
    if !auth.is_none() {
        ui.label(
            RichText::new(
                "Added to every handshake (an Authorization it sets replaces one in Headers). \
                 A typed secret is not saved with the session: write {{env.NAME}} to keep a \
                 reference instead.",
            )
            .weak()
            .small(),
        );
    }
}

fn field(ui: &mut egui::Ui, label: &str, text: &mut String, secret: bool) {
    let id = ui.label(label).id;
    // A {{reference}} is not a secret to hide; a typed value is.
    let masked = secret && !text.contains("{{");
    ui.add(
        egui::TextEdit::singleline(text)
            .password(masked)
            .desired_width(260.0),
    )
    .labelled_by(id);
    ui.end_row();
}
