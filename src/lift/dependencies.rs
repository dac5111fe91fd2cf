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
    ("mpl_toolkits.basemap", "basemap"),
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

/// The distribution that ships `module`: a top-level name, or the first two parts of a
/// module in a namespace package (`mpl_toolkits.basemap`); a namespace module the table does
/// not know is its namespace's.
pub fn distribution_of(module: &str) -> String {
    let known = |name: &str| {
        DISTRIBUTIONS
            .iter()
            .find(|(import, _)| *import == name)
            .map(|(_, dist)| (*dist).to_owned())
    };
    let top = module.split('.').next().unwrap_or(module);
    known(module)
        .or_else(|| known(top))
        .unwrap_or_else(|| top.replace('_', "-").to_ascii_lowercase())
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

    /// One check per entry of the table, so that an entry cannot change unseen.
    #[test]
    fn every_table_entry_maps_its_module() {
        let expected = [
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
            ("mpl_toolkits.basemap", "basemap"),
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
        assert_eq!(expected.len(), DISTRIBUTIONS.len(), "one check per entry");
        for (module, distribution) in expected {
            assert_eq!(distribution_of(module), distribution, "{module}");
        }
        // A namespace module the table does not name is its namespace's.
        assert_eq!(distribution_of("mpl_toolkits.mplot3d"), "matplotlib");
        assert_eq!(distribution_of("mpl_toolkits.axes_grid1"), "matplotlib");
    }

    #[test]
    fn import_names_map_to_distributions() {
        assert_eq!(distribution_of("sklearn"), "scikit-learn");
        assert_eq!(distribution_of("pandas"), "pandas");
        assert_eq!(distribution_of("typing_extensions"), "typing-extensions");
        assert_eq!(requirement_key("Scikit_Learn>=1.2"), "scikit-learn");
    }
}
