//! Unit tests of `tasks`: the zip is reproducible and flat, operation errors are located
//! in the body, reasons are checked.

use super::*;
use std::io::Read;

fn files() -> BTreeMap<String, Vec<u8>> {
    [("task.json", "{}\n"), ("result.txt", "seed=…\n")]
        .into_iter()
        .map(|(n, c)| (n.to_owned(), c.as_bytes().to_vec()))
        .collect()
}

#[test]
fn the_same_files_zip_to_the_same_bytes_at_the_root() {
    let (Ok(a), Ok(b)) = (zip_files(&files()), zip_files(&files())) else {
        panic!("zipping failed")
    };
    assert_eq!(a, b);
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(a)) else {
        panic!("not a zip")
    };
    let mut read = BTreeMap::new();
    for i in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(i) else {
            panic!("entry {i}")
        };
        let mut bytes = vec![];
        assert!(entry.read_to_end(&mut bytes).is_ok());
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            panic!("entry {i} has no name")
        };
        read.insert(name, bytes);
    }
    assert_eq!(read, files());
}

#[test]
fn field_locations_become_body_paths() {
    let e = in_body(OpError::Invalid {
        message: "bad".into(),
        location: Some("scope.regions[0]".into()),
    });
    let ApiError::Unprocessable { errors, .. } = e else {
        panic!("not a 422")
    };
    assert_eq!(errors[0].path, "$.scope.regions[0]");
    let e = in_body(OpError::Invalid {
        message: "bad".into(),
        location: Some("line 1, column 2".into()),
    });
    let ApiError::Unprocessable { errors, .. } = e else {
        panic!("not a 422")
    };
    assert_eq!(errors[0].path, "line 1, column 2");
    assert!(check_reason(" padded").is_err());
    assert!(check_reason("曾在该企业兼职").is_ok());
}
