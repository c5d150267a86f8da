#pragma once
// OASIS CAP 1.2 alert documents, read with libxml2: the fields an emergency broadcast needs.
// Anything that is not a well-formed CAP 1.2 alert is refused with the reason.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loa {

struct CapReference {
    std::string sender, identifier, sent;
};

struct CapResource {
    std::string description, mimeType, uri;
    std::vector<uint8_t> content;  ///< from derefUri (base64), when the alert carries the audio itself
};

struct CapAlert {
    std::string identifier, sender, sent;
    std::string status;   ///< Actual, Exercise, System, Test, Draft
    std::string msgType;  ///< Alert, Update, Cancel, Ack, Error
    std::vector<CapReference> references;
    std::optional<int64_t> expiresMs;   ///< the earliest info/expires, Unix ms
    std::vector<std::string> geocodes;  ///< every info/area/geocode value
    std::vector<std::string> headlines;
    std::vector<CapResource> resources;
};

/// Parses `xml`; throws Refusal (invalid) naming what is wrong.
CapAlert parseCap(std::string_view xml);

/// An ISO 8601 date-time as CAP writes it (2026-11-23T10:00:00+07:00), in Unix ms.
std::optional<int64_t> parseCapTime(const std::string& text);

}  // namespace loa
