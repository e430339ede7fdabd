//! Edits of a list of templates, keeping names unique: save (add or replace), rename,
//! duplicate ("name (copy)"), delete, move, and the search filter.

use crate::model::template::Template;

/// Why an edit of a template list was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The name is empty.
    #[error("a template needs a name")]
    NoName,
    /// Another template has the name.
    #[error("a template named {0:?} already exists")]
    NameTaken(String),
    /// The template is gone (deleted meanwhile, or the list changed under the action).
    #[error("that template is no longer there")]
    Gone,
    /// The action is about the global library, and there is none.
    #[error("there is no global library (no config directory)")]
    NoLibrary,
}

/// True when `name` is taken by a template other than the one at `except`.
pub fn name_taken(list: &[Template], name: &str, except: Option<usize>) -> bool {
    list.iter()
        .enumerate()
        .any(|(i, t)| Some(i) != except && t.name == name)
}

/// `wanted` if no template has it, else `wanted (copy)`, `wanted (copy 2)`, …
pub fn unique_name(list: &[Template], wanted: &str) -> String {
    if !name_taken(list, wanted, None) {
        return wanted.to_owned();
    }
    copy_name(list, wanted)
}

/// The first free name of `name (copy)`, `name (copy 2)`, `name (copy 3)`, …
pub fn copy_name(list: &[Template], name: &str) -> String {
    let first = format!("{name} (copy)");
    if !name_taken(list, &first, None) {
        return first;
    }
    (2u64..)
        .map(|n| format!("{name} (copy {n})"))
        .find(|candidate| !name_taken(list, candidate, None))
        .unwrap_or(first)
}

/// Checks a new name for the template at `index` (or for a new template when `None`).
pub fn check_name(list: &[Template], name: &str, index: Option<usize>) -> Result<(), EditError> {
    if name.trim().is_empty() {
        return Err(EditError::NoName);
    }
    if name_taken(list, name.trim(), index) {
        return Err(EditError::NameTaken(name.trim().to_owned()));
    }
    Ok(())
}

/// Adds `template`, or replaces the one with the same name (keeping its place). Returns
/// its index.
pub fn save(list: &mut Vec<Template>, template: Template) -> usize {
    match list.iter().position(|t| t.name == template.name) {
        Some(index) => {
            list[index] = template;
            index
        }
        None => {
            list.push(template);
            list.len() - 1
        }
    }
}

/// Renames the template at `index`; the name must be free.
pub fn rename(list: &mut [Template], index: usize, name: &str) -> Result<(), EditError> {
    check_name(list, name, Some(index))?;
    let template = list.get_mut(index).ok_or_else(gone)?;
    template.name = name.trim().to_owned();
    Ok(())
}

/// Inserts a copy named "name (copy)" right after the template at `index`; returns the
/// copy's index.
pub fn duplicate(list: &mut Vec<Template>, index: usize) -> Result<usize, EditError> {
    let mut copy = list.get(index).ok_or_else(gone)?.clone();
    copy.name = copy_name(list, &copy.name);
    list.insert(index + 1, copy);
    Ok(index + 1)
}

/// Removes the template at `index`.
pub fn delete(list: &mut Vec<Template>, index: usize) -> Result<Template, EditError> {
    if index < list.len() {
        Ok(list.remove(index))
    } else {
        Err(gone())
    }
}

/// Moves the template at `index` one place up or down (nothing at either end).
pub fn move_one(list: &mut [Template], index: usize, up: bool) -> Result<(), EditError> {
    if index >= list.len() {
        return Err(gone());
    }
    let other = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1).filter(|&i| i < list.len())
    };
    if let Some(other) = other {
        list.swap(index, other);
    }
    Ok(())
}

/// True when the template's name or description contains `query` (ignoring case); an
/// empty query matches everything.
pub fn matches(template: &Template, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    query.is_empty()
        || template.name.to_lowercase().contains(&query)
        || template.description.to_lowercase().contains(&query)
}

fn gone() -> EditError {
    EditError::Gone
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::MessageFormat;

    fn list(names: &[&str]) -> Vec<Template> {
        names
            .iter()
            .map(|n| Template::new(*n, MessageFormat::Text, format!("body of {n}")))
            .collect()
    }

    fn names(list: &[Template]) -> Vec<&str> {
        list.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn duplicates_get_copy_names() {
        let mut l = list(&["a", "b"]);
        assert_eq!(duplicate(&mut l, 0).unwrap(), 1);
        assert_eq!(duplicate(&mut l, 0).unwrap(), 1);
        assert_eq!(duplicate(&mut l, 1).unwrap(), 2);
        assert_eq!(
            names(&l),
            ["a", "a (copy 2)", "a (copy 2) (copy)", "a (copy)", "b"]
        );
        assert_eq!(l[1].body, "body of a");
        assert!(duplicate(&mut l, 9).is_err());
        assert_eq!(unique_name(&l, "c"), "c");
        assert_eq!(unique_name(&l, "b"), "b (copy)");
    }

    #[test]
    fn renames_keep_names_unique() {
        let mut l = list(&["a", "b"]);
        assert!(rename(&mut l, 0, "b").is_err());
        assert!(rename(&mut l, 0, "  ").is_err());
        rename(&mut l, 0, " a2 ").unwrap();
        rename(&mut l, 1, "b").unwrap();
        assert_eq!(names(&l), ["a2", "b"]);
    }

    #[test]
    fn save_replaces_by_name_in_place() {
        let mut l = list(&["a", "b"]);
        let mut new_a = Template::new("a", MessageFormat::Hex, "00");
        new_a.description = "d".into();
        assert_eq!(save(&mut l, new_a.clone()), 0);
        assert_eq!(l[0], new_a);
        assert_eq!(save(&mut l, Template::new("c", MessageFormat::Text, "")), 2);
        assert_eq!(names(&l), ["a", "b", "c"]);
    }

    #[test]
    fn move_and_delete() {
        let mut l = list(&["a", "b", "c"]);
        move_one(&mut l, 0, true).unwrap();
        move_one(&mut l, 2, false).unwrap();
        assert_eq!(names(&l), ["a", "b", "c"], "nothing moves past the ends");
        move_one(&mut l, 0, false).unwrap();
        move_one(&mut l, 2, true).unwrap();
        assert_eq!(names(&l), ["b", "c", "a"]);
        assert_eq!(delete(&mut l, 1).unwrap().name, "c");
        assert!(delete(&mut l, 5).is_err());
        assert!(move_one(&mut l, 5, true).is_err());
    }

    #[test]
    fn search_looks_at_name_and_description() {
        let mut t = Template::new("Subscribe", MessageFormat::Json, "{}");
        t.description = "Join the TICKER channel".into();
        assert!(matches(&t, ""));
        assert!(matches(&t, "subs"));
        assert!(matches(&t, " ticker "));
        assert!(!matches(&t, "body"));
    }

    #[test]
    fn refusals_are_typed_and_say_why() {
        let mut l = vec![
            Template::new("a", crate::model::template::MessageFormat::Text, ""),
            Template::new("b", crate::model::template::MessageFormat::Text, ""),
        ];
        let taken = rename(&mut l, 0, " b ").unwrap_err();
        assert_eq!(taken, EditError::NameTaken("b".into()));
        assert_eq!(taken.to_string(), "a template named \"b\" already exists");
        assert_eq!(rename(&mut l, 0, " ").unwrap_err(), EditError::NoName);
        assert_eq!(
            delete(&mut l, 7).unwrap_err().to_string(),
            "that template is no longer there"
        );
    }
}
