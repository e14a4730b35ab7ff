//! Profile photos: the upload is recognised by its content (PNG, JPEG, WebP or GIF), decoded
//! within size limits, cropped to a square and re-encoded, so no uploaded byte is served back.

use std::io::Cursor;

use image::{imageops::FilterType, ImageFormat, ImageReader, Limits};

pub const AVATAR_SIZE: u32 = 256;
pub const CONTENT_TYPE: &str = "image/jpeg";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AvatarError {
    #[error("the file must be a PNG, JPEG, WebP or GIF image")]
    UnsupportedType,
    #[error("the image could not be read: it is damaged or too large")]
    Undecodable,
}

/// Decodes `bytes` and returns a square JPEG of [`AVATAR_SIZE`] pixels.
pub fn process(bytes: &[u8]) -> Result<Vec<u8>, AvatarError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| AvatarError::Undecodable)?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return Err(AvatarError::UnsupportedType),
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(10_000);
    limits.max_image_height = Some(10_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|_| AvatarError::Undecodable)?;
    let square = image
        .resize_to_fill(AVATAR_SIZE, AVATAR_SIZE, FilterType::Lanczos3)
        .to_rgb8();
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    square
        .write_with_encoder(encoder)
        .map_err(|_| AvatarError::Undecodable)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 10, 10, 255]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn re_encodes_to_a_square_jpeg() {
        let out = process(&png(640, 200)).unwrap();
        let decoded = image::load_from_memory(&out).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (AVATAR_SIZE, AVATAR_SIZE)
        );
        assert_eq!(image::guess_format(&out).unwrap(), ImageFormat::Jpeg);
    }

    #[test]
    fn rejects_other_content_whatever_the_name() {
        assert_eq!(
            process(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            Err(AvatarError::UnsupportedType)
        );
        assert_eq!(
            process(b"%PDF-1.4 hello"),
            Err(AvatarError::UnsupportedType)
        );
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert_eq!(process(&broken), Err(AvatarError::Undecodable));
    }
}
