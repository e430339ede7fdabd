//! Variable expansion never panics, whatever the template and the user variables.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sockscope::format::variables::{EnvPolicy, VarContext, expand, referenced};

fuzz_target!(|input: (&str, Vec<(String, String)>)| {
    let (text, user) = input;
    let env = |name: &str| (name.len() % 2 == 0).then(|| format!("value-of-{name}"));
    let context = VarContext {
        counter: 7,
        user: &user,
        env: &env,
        env_policy: EnvPolicy::Any,
    };
    let _ = expand(text, &context);
    let _ = referenced(text);
});
