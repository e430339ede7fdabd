//! Environments: named sets of variables (local, staging, production), one active at a time,
//! beside globals. A `{{name}}` resolves from the tab's own variables, then the active
//! environment, then the globals. Values marked secret are redacted everywhere and never
//! written to a file (a `{{env.NAME}}` reference in a value is, and is read at use).

use serde::{Deserialize, Serialize};

use crate::format::variables;

/// One variable of an environment or of the globals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// The name used as `{{name}}`.
    pub name: String,
    /// The value (empty in a file when secret).
    pub value: String,
    /// A secret: redacted in output and not saved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
}

impl EnvVar {
    /// A variable that is not secret.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        EnvVar {
            name: name.into(),
            value: value.into(),
            secret: false,
        }
    }
}

/// A named set of variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Its name, e.g. `staging`.
    pub name: String,
    /// Its variables, in the order shown.
    #[serde(default)]
    pub variables: Vec<EnvVar>,
}

/// Every environment, the active one and the globals: kept in the workspace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Environments {
    /// Variables every tab sees, under the active environment's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub globals: Vec<EnvVar>,
    /// The environments, in the order shown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<Environment>,
    /// The active environment's name; none: globals only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
}

impl Environments {
    /// True when there is nothing to keep.
    pub fn is_empty(&self) -> bool {
        *self == Environments::default()
    }

    /// The active environment.
    pub fn active(&self) -> Option<&Environment> {
        let name = self.active.as_deref()?;
        self.sets.iter().find(|set| set.name == name)
    }

    /// The `(name, value)` pairs a tab's variables are laid over: globals, then the active
    /// environment (a later pair of the same name wins, as with a tab's own variables).
    pub fn variables(&self) -> Vec<(String, String)> {
        let active = self.active().map(|set| set.variables.as_slice());
        self.globals
            .iter()
            .chain(active.unwrap_or_default())
            .filter(|var| !var.name.trim().is_empty())
            .map(|var| (var.name.trim().to_owned(), var.value.clone()))
            .collect()
    }

    /// [`Environments::variables`] with each `{{env.NAME}}` inside a value replaced by
    /// that environment variable and each `{{secret.NAME}}` by that keychain secret (`env`
    /// looks them up, a secret as `secret.NAME`; one it does not know stays as written),
    /// and the values read that way, which are secrets from then on. The user wrote these
    /// references in their own workspace, so they may be read.
    pub fn resolved_variables(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut read = Vec::new();
        let variables = self
            .variables()
            .into_iter()
            .map(|(name, value)| {
                let mut value = value;
                for name in variables::outside_names(&value) {
                    let written = match name.strip_prefix(variables::SECRET_PREFIX) {
                        Some(_) => format!("{{{{{name}}}}}"),
                        None => format!("{{{{{}{name}}}}}", variables::ENV_PREFIX),
                    };
                    if let Some(found) = env(&name) {
                        value = value.replace(&written, &found);
                        read.push(found);
                    }
                }
                (name, value)
            })
            .collect();
        (variables, read)
    }

    /// Every value marked secret (of every environment, not only the active one).
    pub fn secret_values(&self) -> Vec<&str> {
        self.globals
            .iter()
            .chain(self.sets.iter().flat_map(|set| &set.variables))
            .filter(|var| var.secret && !var.value.trim().is_empty() && !var.value.contains("{{"))
            .map(|var| var.value.as_str())
            .collect()
    }

    /// What a file keeps: everything but secret values (a secret that is a `{{reference}}`
    /// is kept, as it holds no secret itself).
    pub fn for_saving(&self) -> Environments {
        let mut saved = self.clone();
        let blank = |var: &mut EnvVar| {
            if var.secret && !var.value.contains("{{") {
                var.value.clear();
            }
        };
        saved.globals.iter_mut().for_each(blank);
        saved
            .sets
            .iter_mut()
            .flat_map(|set| set.variables.iter_mut())
            .for_each(blank);
        saved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Environments {
        Environments {
            globals: vec![
                EnvVar::new("host", "localhost"),
                EnvVar::new("room", "lobby"),
            ],
            sets: vec![
                Environment {
                    name: "staging".into(),
                    variables: vec![
                        EnvVar::new("host", "staging.example"),
                        EnvVar {
                            secret: true,
                            ..EnvVar::new("token", "stg-s3cret")
                        },
                    ],
                },
                Environment {
                    name: "production".into(),
                    variables: vec![EnvVar {
                        secret: true,
                        ..EnvVar::new("token", "{{env.PROD_TOKEN}}")
                    }],
                },
            ],
            active: Some("staging".into()),
        }
    }

    #[test]
    fn the_active_environment_is_laid_over_the_globals() {
        let envs = sample();
        let find = |vars: &[(String, String)], name: &str| {
            vars.iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let vars = envs.variables();
        assert_eq!(find(&vars, "host").as_deref(), Some("staging.example"));
        assert_eq!(find(&vars, "room").as_deref(), Some("lobby"));
        let none = Environments {
            active: None,
            ..sample()
        };
        assert_eq!(
            find(&none.variables(), "host").as_deref(),
            Some("localhost")
        );
        assert_eq!(find(&none.variables(), "token"), None);
    }

    #[test]
    fn env_references_in_values_read_the_environment_and_become_secrets() {
        let envs = Environments {
            active: Some("production".into()),
            ..sample()
        };
        let env = |name: &str| (name == "PROD_TOKEN").then(|| "prod-from-env".to_owned());
        let (vars, read) = envs.resolved_variables(&env);
        assert!(
            vars.contains(&("token".into(), "prod-from-env".into())),
            "{vars:?}"
        );
        assert_eq!(read, ["prod-from-env"]);
        let (vars, read) = envs.resolved_variables(&|_| None);
        assert!(vars.contains(&("token".into(), "{{env.PROD_TOKEN}}".into())));
        assert!(read.is_empty());
        // A value kept in the keychain reads like one from the environment.
        let mut keychain = envs.clone();
        keychain.sets[1].variables[0].value = "Bearer {{secret.PROD_TOKEN}}".into();
        let secret = |name: &str| (name == "secret.PROD_TOKEN").then(|| "kc-value".to_owned());
        let (vars, read) = keychain.resolved_variables(&secret);
        assert!(
            vars.contains(&("token".into(), "Bearer kc-value".into())),
            "{vars:?}"
        );
        assert_eq!(read, ["kc-value"]);
    }

    #[test]
    fn secret_values_are_known_and_never_saved() {
        let envs = sample();
        // A reference is no secret itself; what it reads is learned when it is read.
        assert_eq!(envs.secret_values(), ["stg-s3cret"]);
        let saved = envs.for_saving();
        let text = ron::to_string(&saved).unwrap();
        assert!(!text.contains("stg-s3cret"), "{text}");
        assert!(text.contains("{{env.PROD_TOKEN}}"), "{text}");
        assert_eq!(saved.sets[0].variables[1].value, "");
        assert!(saved.sets[0].variables[1].secret);
    }
}
