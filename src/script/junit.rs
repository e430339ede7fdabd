//! The JUnit XML report of a run's tests (`--junit FILE.xml`): one `<testsuite>` per script
//! (a tab, or `connect --script`'s file), one `<testcase>` per `test(...)`.

use std::fmt::Write;

use super::output::TestResult;

/// The tests and script errors of one script.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Suite {
    /// The suite's name: the tab's name, or the script's file.
    pub name: String,
    /// Its tests, in the order they finished.
    pub tests: Vec<TestResult>,
    /// Its script errors (not tests: kept in `<system-err>`).
    pub errors: Vec<String>,
}

impl Suite {
    /// A suite without results yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// True when a test failed or the script had an error.
    pub fn failed(&self) -> bool {
        self.failures() > 0 || !self.errors.is_empty()
    }

    /// How many of its tests failed.
    pub fn failures(&self) -> usize {
        self.tests.iter().filter(|test| !test.passed).count()
    }
}

/// The report as XML text.
pub fn report(suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|suite| suite.tests.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let seconds = |tests: &[TestResult]| tests.iter().map(|t| t.time_ms).sum::<f64>() / 1000.0;
    let all: f64 = suites.iter().map(|suite| seconds(&suite.tests)).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"sockscope\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{all:.3}\">"
    );
    for suite in suites {
        let name = escape(&suite.name);
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">",
            suite.tests.len(),
            suite.failures(),
            seconds(&suite.tests)
        );
        for test in &suite.tests {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{name}\" time=\"{:.3}\"",
                escape(&test.name),
                test.time_ms / 1000.0
            );
            match (&test.message, test.passed) {
                (_, true) => xml.push_str("/>\n"),
                (message, false) => {
                    let message = escape(message.as_deref().unwrap_or("failed"));
                    let _ = writeln!(
                        xml,
                        ">\n      <failure message=\"{message}\" type=\"AssertionError\">{message}</failure>\n    </testcase>"
                    );
                }
            }
        }
        if !suite.errors.is_empty() {
            let errors = escape(&suite.errors.join("\n"));
            let _ = writeln!(xml, "    <system-err>{errors}</system-err>");
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Text fit for an XML attribute or element: the five entities escaped, and characters XML
/// 1.0 cannot hold replaced by U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, passed: bool, message: Option<&str>) -> TestResult {
        TestResult {
            name: name.into(),
            passed,
            message: message.map(str::to_owned),
            time_ms: 12.0,
            decided_by: None,
        }
    }

    #[test]
    fn a_failure_carries_its_message_escaped() {
        let mut suite = Suite::new("tab <1>");
        suite.tests.push(result("ok", true, None));
        suite.tests.push(result(
            "price \"positive\"",
            false,
            Some("expected -1 to be > 0 & \u{1}"),
        ));
        let xml = report(&[suite]);
        assert!(xml.contains("<testsuite name=\"tab &lt;1&gt;\" tests=\"2\" failures=\"1\""));
        assert!(xml.contains("<testcase name=\"ok\" classname=\"tab &lt;1&gt;\" time=\"0.012\"/>"));
        assert!(xml.contains("message=\"expected -1 to be &gt; 0 &amp; \u{FFFD}\""));
        assert!(xml.contains("name=\"price &quot;positive&quot;\""));
    }
}
