//! Images for the tests: real JPEG and PNG files, and photos carrying what a camera writes
//! about where it was and which camera it was.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};
use img_parts::ImageEXIF;
use img_parts::jpeg::Jpeg;

/// The camera serial number the photos of [`photo`] carry.
pub const SERIAL: &str = "CAM-SERIAL-0042";

/// A picture with some detail, so that its JPEG has a photo's size.
fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        // A gradient with a fine pattern over it: smooth enough to look like a photo, busy
        // enough that it does not compress to nothing.
        let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 61) as u8;
        Rgb([
            ((x * 200 / width) as u8).saturating_add(noise),
            ((y * 200 / height) as u8).saturating_add(noise / 2),
            120u8.saturating_add(noise),
        ])
    })
}

/// A JPEG of `width`×`height` pixels, with no metadata.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            picture(width, height).as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A PNG of `width`×`height` pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture(width, height)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// A JPEG as a phone takes it: with EXIF that says where it was taken (GPS), which camera
/// took it (serial number), and how to turn it (`orientation`, 1 for upright).
pub fn photo(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let fields = [
        exif::Field {
            tag: exif::Tag::Orientation,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Short(vec![orientation]),
        },
        exif::Field {
            tag: exif::Tag::BodySerialNumber,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![SERIAL.as_bytes().to_vec()]),
        },
        exif::Field {
            tag: exif::Tag::GPSLatitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![b"N".to_vec()]),
        },
        exif::Field {
            tag: exif::Tag::GPSLatitude,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Rational(vec![
                exif::Rational { num: 39, denom: 1 },
                exif::Rational { num: 54, denom: 1 },
                exif::Rational { num: 26, denom: 1 },
            ]),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut block = Cursor::new(Vec::new());
    writer.write(&mut block, false).unwrap();
    let mut jpeg = Jpeg::from_bytes(jpeg(width, height).into()).unwrap();
    jpeg.set_exif(Some(block.into_inner().into()));
    jpeg.encoder().bytes().to_vec()
}

/// The EXIF tags of an image file, if it has any.
pub fn exif_tags(bytes: &[u8]) -> Vec<exif::Tag> {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .map(|e| e.fields().map(|f| f.tag).collect())
        .unwrap_or_default()
}

/// Puts `bytes` as `file` in the folder of the note `note` of `site`
/// (`content/briefings/<note>/`) and shows it at the end of the text of each version given as
/// `(language, alt text)`; with none, it is only in the note's press kit. Returns its path.
pub fn add_photo(
    site: &Path,
    note: &str,
    file: &str,
    bytes: &[u8],
    shown: &[(&str, &str)],
) -> PathBuf {
    let folder = site.join("content/briefings").join(note);
    let path = folder.join(file);
    std::fs::write(&path, bytes).unwrap();
    for (lang, alt) in shown {
        let text_file = folder.join(format!("index.{lang}.md"));
        let text = std::fs::read_to_string(&text_file).unwrap();
        std::fs::write(&text_file, format!("{text}\n![{alt}]({file})\n")).unwrap();
    }
    path
}
