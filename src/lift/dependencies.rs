//! Distribution names for imported modules, where PyPI's name differs from the import name.

/// (import name, distribution), sorted by import name.
const DISTRIBUTIONS: &[(&str, &str)] = &[
    ("PIL", "pillow"),
    ("Crypto", "pycryptodome"),
    ("OpenSSL", "pyopenssl"),
    ("attr", "attrs"),
    ("bs4", "beautifulsoup4"),
    ("cv2", "opencv-python"),
    ("dateutil", "python-dateutil"),
    ("docx", "python-docx"),
    ("dotenv", "python-dotenv"),
    ("fitz", "pymupdf"),
    ("gi", "pygobject"),
    ("google.protobuf", "protobuf"),
    ("jwt", "pyjwt"),
    ("lxml", "lxml"),
    ("magic", "python-magic"),
    ("mpl_toolkits", "matplotlib"),
    ("pkg_resources", "setuptools"),
    ("serial", "pyserial"),
    ("skimage", "scikit-image"),
    ("sklearn", "scikit-learn"),
    ("slugify", "python-slugify"),
    ("tensorflow_datasets", "tensorflow-datasets"),
    ("usb", "pyusb"),
    ("win32api", "pywin32"),
    ("yaml", "pyyaml"),
    ("zmq", "pyzmq"),
];

pub fn distribution_of(module: &str) -> String {
    DISTRIBUTIONS
        .iter()
        .find(|(import, _)| *import == module)
        .map_or_else(
            || module.replace('_', "-").to_ascii_lowercase(),
            |(_, dist)| (*dist).to_owned(),
        )
}

/// The project name a requirement string names (`numpy>=2` → `numpy`), normalised as PEP 503
/// does, to recognise the same distribution twice.
pub fn requirement_key(requirement: &str) -> String {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(requirement.len());
    requirement[..end]
        .to_ascii_lowercase()
        .replace(['_', '.'], "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_names_map_to_distributions() {
        assert_eq!(distribution_of("sklearn"), "scikit-learn");
        assert_eq!(distribution_of("pandas"), "pandas");
        assert_eq!(distribution_of("typing_extensions"), "typing-extensions");
        assert_eq!(requirement_key("Scikit_Learn>=1.2"), "scikit-learn");
    }
}
