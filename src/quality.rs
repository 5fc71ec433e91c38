//! The quality ladder: SD < HD < UHD1 < UHD2, by the shorter side of the picture.

/// A quality class. Ordered: `Sd < Hd < Uhd1 < Uhd2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Quality {
    /// Below 720 lines.
    Sd = 1,
    /// Up to 1080 lines.
    Hd = 2,
    /// Up to 2160 lines.
    Uhd1 = 3,
    /// Above 2160 lines.
    Uhd2 = 4,
}

impl Quality {
    /// All qualities, lowest first.
    pub const ALL: [Quality; 4] = [Quality::Sd, Quality::Hd, Quality::Uhd1, Quality::Uhd2];

    /// The name used in documents, policies and decisions (`"SD"`, `"HD"`, `"UHD1"`, `"UHD2"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sd => "SD",
            Self::Hd => "HD",
            Self::Uhd1 => "UHD1",
            Self::Uhd2 => "UHD2",
        }
    }

    /// Parses a quality name, exactly as written by [`Quality::as_str`].
    pub fn parse(name: &str) -> Option<Quality> {
        Self::ALL.into_iter().find(|q| q.as_str() == name)
    }

    /// The rank 1..=4 used in packed results.
    #[inline(always)]
    pub const fn rank(self) -> u8 {
        self as u8
    }

    /// The inverse of [`Quality::rank`].
    #[inline(always)]
    pub const fn from_rank(rank: u8) -> Option<Quality> {
        match rank {
            1 => Some(Self::Sd),
            2 => Some(Self::Hd),
            3 => Some(Self::Uhd1),
            4 => Some(Self::Uhd2),
            _ => None,
        }
    }

    /// The class of a picture of `width` x `height` pixels. The shorter side counts, so a
    /// portrait 1080x1920 video is HD like a landscape 1920x1080 one (Mosaic's ladder:
    /// SD < 720p, HD <= 1080p, UHD1 <= 2160p, UHD2 above).
    pub const fn of_picture(width: u32, height: u32) -> Quality {
        let lines = if width < height { width } else { height };
        if lines < 720 {
            Self::Sd
        } else if lines <= 1080 {
            Self::Hd
        } else if lines <= 2160 {
            Self::Uhd1
        } else {
            Self::Uhd2
        }
    }
}

/// The lower of two optional caps, where `None` means uncapped.
#[inline(always)]
pub fn lowest_cap(a: Option<Quality>, b: Option<Quality>) -> Option<Quality> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_follows_mosaic_quality_groups() {
        // Mosaic claim groups: QUALITY_SD (< 720p), QUALITY_HD (<= 1080p),
        // QUALITY_UHD1 (<= 2160p), QUALITY_UHD2 (<= 4320p).
        assert_eq!(Quality::of_picture(1280, 719), Quality::Sd);
        assert_eq!(Quality::of_picture(1280, 720), Quality::Hd);
        assert_eq!(Quality::of_picture(1920, 1080), Quality::Hd);
        assert_eq!(Quality::of_picture(1920, 1081), Quality::Uhd1);
        assert_eq!(Quality::of_picture(3840, 2160), Quality::Uhd1);
        assert_eq!(Quality::of_picture(7680, 4320), Quality::Uhd2);
        assert_eq!(
            Quality::of_picture(1080, 1920),
            Quality::Hd,
            "portrait is classed by its shorter side"
        );
    }

    #[test]
    fn lowest_cap_treats_none_as_uncapped() {
        assert_eq!(lowest_cap(None, None), None);
        assert_eq!(lowest_cap(Some(Quality::Hd), None), Some(Quality::Hd));
        assert_eq!(
            lowest_cap(Some(Quality::Uhd2), Some(Quality::Sd)),
            Some(Quality::Sd)
        );
    }
}
