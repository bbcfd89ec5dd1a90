//! Coordinates of AWS, GCP and Azure regions (approximate city locations), and the
//! great-circle distance used by the `geo` algorithm.

use marchproxy_model::route_table::CloudProvider;

/// (provider, region, latitude, longitude)
const REGIONS: &[(&str, &str, f64, f64)] = &[
    // AWS
    ("aws", "us-east-1", 38.9, -77.4),
    ("aws", "us-east-2", 40.0, -83.0),
    ("aws", "us-west-1", 37.4, -121.9),
    ("aws", "us-west-2", 45.8, -119.7),
    ("aws", "ca-central-1", 45.5, -73.6),
    ("aws", "ca-west-1", 51.0, -114.1),
    ("aws", "sa-east-1", -23.5, -46.6),
    ("aws", "mx-central-1", 20.6, -100.4),
    ("aws", "eu-west-1", 53.3, -6.3),
    ("aws", "eu-west-2", 51.5, -0.1),
    ("aws", "eu-west-3", 48.9, 2.4),
    ("aws", "eu-central-1", 50.1, 8.7),
    ("aws", "eu-central-2", 47.4, 8.5),
    ("aws", "eu-north-1", 59.3, 18.1),
    ("aws", "eu-south-1", 45.5, 9.2),
    ("aws", "eu-south-2", 41.6, -0.9),
    ("aws", "me-south-1", 26.1, 50.6),
    ("aws", "me-central-1", 25.2, 55.3),
    ("aws", "il-central-1", 32.1, 34.8),
    ("aws", "af-south-1", -33.9, 18.4),
    ("aws", "ap-east-1", 22.3, 114.2),
    ("aws", "ap-south-1", 19.1, 72.9),
    ("aws", "ap-south-2", 17.4, 78.5),
    ("aws", "ap-northeast-1", 35.7, 139.7),
    ("aws", "ap-northeast-2", 37.6, 127.0),
    ("aws", "ap-northeast-3", 34.7, 135.5),
    ("aws", "ap-southeast-1", 1.4, 103.8),
    ("aws", "ap-southeast-2", -33.9, 151.2),
    ("aws", "ap-southeast-3", -6.2, 106.8),
    ("aws", "ap-southeast-4", -37.8, 145.0),
    ("aws", "ap-southeast-5", 3.1, 101.7),
    // GCP
    ("gcp", "us-central1", 41.3, -95.9),
    ("gcp", "us-east1", 33.2, -80.0),
    ("gcp", "us-east4", 39.0, -77.5),
    ("gcp", "us-east5", 40.0, -83.0),
    ("gcp", "us-south1", 32.8, -96.8),
    ("gcp", "us-west1", 45.6, -121.2),
    ("gcp", "us-west2", 34.1, -118.2),
    ("gcp", "us-west3", 40.8, -111.9),
    ("gcp", "us-west4", 36.2, -115.1),
    ("gcp", "northamerica-northeast1", 45.5, -73.6),
    ("gcp", "northamerica-northeast2", 43.7, -79.4),
    ("gcp", "southamerica-east1", -23.5, -46.6),
    ("gcp", "southamerica-west1", -33.4, -70.6),
    ("gcp", "europe-west1", 50.4, 3.8),
    ("gcp", "europe-west2", 51.5, -0.1),
    ("gcp", "europe-west3", 50.1, 8.7),
    ("gcp", "europe-west4", 53.4, 6.8),
    ("gcp", "europe-west6", 47.4, 8.5),
    ("gcp", "europe-west8", 45.5, 9.2),
    ("gcp", "europe-west9", 48.9, 2.4),
    ("gcp", "europe-north1", 60.6, 27.2),
    ("gcp", "europe-central2", 52.2, 21.0),
    ("gcp", "europe-southwest1", 40.4, -3.7),
    ("gcp", "me-west1", 32.1, 34.8),
    ("gcp", "asia-east1", 24.1, 120.5),
    ("gcp", "asia-east2", 22.3, 114.2),
    ("gcp", "asia-northeast1", 35.7, 139.7),
    ("gcp", "asia-northeast2", 34.7, 135.5),
    ("gcp", "asia-northeast3", 37.6, 127.0),
    ("gcp", "asia-south1", 19.1, 72.9),
    ("gcp", "asia-south2", 28.6, 77.2),
    ("gcp", "asia-southeast1", 1.4, 103.8),
    ("gcp", "asia-southeast2", -6.2, 106.8),
    ("gcp", "australia-southeast1", -33.9, 151.2),
    ("gcp", "australia-southeast2", -37.8, 145.0),
    ("gcp", "africa-south1", -26.2, 28.0),
    // Azure
    ("azure", "eastus", 37.4, -79.8),
    ("azure", "eastus2", 36.7, -78.4),
    ("azure", "centralus", 41.6, -93.6),
    ("azure", "northcentralus", 41.9, -87.6),
    ("azure", "southcentralus", 29.4, -98.5),
    ("azure", "westcentralus", 40.9, -110.2),
    ("azure", "westus", 37.8, -122.4),
    ("azure", "westus2", 47.2, -119.9),
    ("azure", "westus3", 33.4, -112.1),
    ("azure", "canadacentral", 43.7, -79.4),
    ("azure", "canadaeast", 46.8, -71.2),
    ("azure", "brazilsouth", -23.5, -46.6),
    ("azure", "northeurope", 53.3, -6.3),
    ("azure", "westeurope", 52.4, 4.9),
    ("azure", "uksouth", 51.5, -0.1),
    ("azure", "ukwest", 53.4, -3.0),
    ("azure", "francecentral", 46.3, 2.4),
    ("azure", "germanywestcentral", 50.1, 8.7),
    ("azure", "switzerlandnorth", 47.5, 8.6),
    ("azure", "norwayeast", 59.9, 10.8),
    ("azure", "swedencentral", 60.7, 17.1),
    ("azure", "polandcentral", 52.2, 21.0),
    ("azure", "italynorth", 45.5, 9.2),
    ("azure", "uaenorth", 25.3, 55.3),
    ("azure", "qatarcentral", 25.3, 51.5),
    ("azure", "israelcentral", 32.1, 34.8),
    ("azure", "southafricanorth", -25.7, 28.2),
    ("azure", "centralindia", 18.6, 73.9),
    ("azure", "southindia", 12.9, 80.2),
    ("azure", "eastasia", 22.3, 114.2),
    ("azure", "southeastasia", 1.3, 103.8),
    ("azure", "japaneast", 35.7, 139.8),
    ("azure", "japanwest", 34.7, 135.5),
    ("azure", "koreacentral", 37.6, 127.0),
    ("azure", "australiaeast", -33.9, 151.2),
    ("azure", "australiasoutheast", -37.8, 145.0),
];

/// Coordinates of a cloud region (case-insensitive), if known.
pub fn coordinates(provider: CloudProvider, region: &str) -> Option<(f64, f64)> {
    let p = provider.as_str();
    REGIONS
        .iter()
        .find(|(rp, rr, _, _)| *rp == p && rr.eq_ignore_ascii_case(region))
        .map(|&(_, _, lat, lon)| (lat, lon))
}

/// Parse a `provider:region` location (e.g. `aws:us-east-1`).
pub fn parse_location(s: &str) -> Result<(f64, f64), String> {
    let (p, r) = s.split_once(':').ok_or_else(|| format!("`{s}` is not provider:region (e.g. aws:us-east-1)"))?;
    let provider: CloudProvider = serde_json::from_value(serde_json::Value::from(p.trim().to_ascii_lowercase()))
        .map_err(|_| format!("unknown provider `{p}` (aws, gcp, azure)"))?;
    coordinates(provider, r.trim()).ok_or_else(|| format!("unknown {p} region `{r}`"))
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_and_distances() {
        let va = coordinates(CloudProvider::Aws, "us-east-1").unwrap();
        let dub = coordinates(CloudProvider::Aws, "eu-west-1").unwrap();
        let iowa = coordinates(CloudProvider::Gcp, "us-central1").unwrap();
        assert!((distance_km(va, dub) - 5500.0).abs() < 300.0, "{}", distance_km(va, dub));
        assert!(distance_km(va, iowa) < distance_km(va, dub));
        assert_eq!(distance_km(va, va), 0.0);
        assert!(coordinates(CloudProvider::Azure, "WestEurope").is_some());
        assert_eq!(parse_location("gcp:europe-west1").unwrap(), (50.4, 3.8));
        assert!(parse_location("aws:mars-1").is_err());
        assert!(parse_location("nowhere").is_err());
    }
}
