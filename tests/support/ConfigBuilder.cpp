#include "ConfigBuilder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "TestData.hpp"
#include "api/ApiHandler.hpp"
#include "common/Base64.hpp"

namespace loa::test {

std::string loopback(uint16_t port) {
    return "127.0.0.1:" + std::to_string(port);
}

std::string segment(const std::string& name) {
    return (sourceDir() / "config/segments" / name).string();
}

std::string b64(const std::vector<uint8_t>& bytes) {
    return base64Encode(bytes);
}

std::string b64(uint8_t fill) {
    return b64(std::vector<uint8_t>(30, fill));
}

namespace {

/// `text` as a YAML scalar: plain where that reads back as the same string, else single-quoted.
std::string scalar(const std::string& text) {
    const auto safe = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._/+=:@-", c); };
    const bool plain =
        !text.empty() &&
        (std::isalnum(static_cast<unsigned char>(text.front())) || text.front() == '/' || text.front() == '.') &&
        text.back() != ':' && std::all_of(text.begin(), text.end(), safe) && text != "null" && text != "Null" &&
        text != "NULL";
    if (plain) return text;
    std::string quoted = "'";
    for (const char c : text)
        quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
}

std::string text(const std::string& s) {
    return scalar(s);
}
std::string text(int n) {
    return std::to_string(n);
}
std::string text(bool b) {
    return b ? "true" : "false";
}
std::string text(SrtpProfile p) {
    return std::string(info(p).configName);
}
std::string text(PlaylistMode m) {
    switch (m) {
        case PlaylistMode::loop:
            return "loop";
        case PlaylistMode::once:
            return "once";
        case PlaylistMode::shuffle:
            return "shuffle";
    }
    return "";
}
std::string text(OpusApplication a) {
    switch (a) {
        case OpusApplication::audio:
            return "audio";
        case OpusApplication::voip:
            return "voip";
        case OpusApplication::lowdelay:
            return "lowdelay";
    }
    return "";
}
std::string text(SchedulePriority p) {
    return p == SchedulePriority::bulletin ? "bulletin" : "normal";
}
std::string text(log::Level level) {
    static const char* const kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
    return kNames[static_cast<int>(level)];
}

/// "key: value" at `indent`.
template <class T>
void line(std::string& out, int indent, std::string_view key, const T& value) {
    out.append(static_cast<size_t>(indent), ' ').append(key).append(": ").append(text(value)).append("\n");
}
/// The same, if `value` is set.
template <class T>
void line(std::string& out, int indent, std::string_view key, const std::optional<T>& value) {
    if (value) line(out, indent, key, *value);
}

/// "key:" and `body` (written at `indent` + 2); "key: {}" for an empty body.
void mapping(std::string& out, int indent, std::string_view key, const std::string& body) {
    out.append(static_cast<size_t>(indent), ' ').append(key).append(body.empty() ? ": {}\n" : ":\n").append(body);
}

/// `entry`, a mapping written at `indent` + 2, as an item of a list at `indent`.
std::string item(std::string entry, int indent) {
    return entry.replace(static_cast<size_t>(indent), 2, "- ");
}

/// "key:" and `items` as a list of scalars at `indent`; nothing for no items.
void list(std::string& out, int indent, std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out.append(static_cast<size_t>(indent), ' ').append(key).append(":\n");
    for (const auto& i : items)
        out.append(static_cast<size_t>(indent) + 2, ' ').append("- ").append(scalar(i)).append("\n");
}

/// A section's extra lines, each indented by `indent`.
void extraLines(std::string& out, int indent, const std::string& yaml) {
    std::istringstream lines(yaml);
    for (std::string l; std::getline(lines, l);)
        out.append(l.empty() ? 0 : static_cast<size_t>(indent), ' ').append(l).append("\n");
}

}  // namespace

std::string IngestConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "listen", listen_);
    line(out, indent, "srtp_profile", profile_);
    line(out, indent, "key", key_);
    line(out, indent, "allow_plain_rtp", allowPlainRtp_);
    line(out, indent, "jitter_ms", jitterMs_);
    line(out, indent, "timeout_ms", timeoutMs_);
    line(out, indent, "return_ms", returnMs_);
    line(out, indent, "silence_s", silenceS_);
    if (sources_.size() == 1) {
        line(out, indent, "source", sources_[0]);
    } else {
        list(out, indent, "source", sources_);
    }
    line(out, indent, "parent", parent_);
    extraLines(out, indent, extra_);
    return out;
}

std::string ProgrammeConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "id", id_);
    line(out, indent, "name", name_);
    line(out, indent, "payload_type", payloadType_);
    if (bitrate_ || channels_ || complexity_ || frameMs_ || application_) {
        std::string encoder;
        line(encoder, indent + 2, "bitrate", bitrate_);
        line(encoder, indent + 2, "channels", channels_);
        line(encoder, indent + 2, "complexity", complexity_);
        line(encoder, indent + 2, "frame_ms", frameMs_);
        line(encoder, indent + 2, "application", application_);
        mapping(out, indent, "encoder", encoder);
    }
    line(out, indent, "crossfade_ms", crossfadeMs_);
    if (live_) mapping(out, indent, "live", live_->yaml(indent + 2));
    if (upstream_) mapping(out, indent, "upstream", upstream_->yaml(indent + 2));
    for (const auto& [key, segments] : {std::pair{"playlist", &playlist_}, std::pair{"filler", &filler_}}) {
        if (!*segments) continue;
        std::string body;
        line(body, indent + 2, "mode", (*segments)->mode);
        list(body, indent + 2, "files", (*segments)->files);
        mapping(out, indent, key, body);
    }
    extraLines(out, indent, extra_);
    return out;
}

std::string StationConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "id", id_);
    line(out, indent, "name", name_);
    line(out, indent, "programme", programme_);
    line(out, indent, "address", address_);
    if (port_) line(out, indent, "port", int{*port_});
    line(out, indent, "srtp_profile", profile_);
    line(out, indent, "key", key_);
    line(out, indent, "area", area_);
    list(out, indent, "groups", groups_);
    line(out, indent, "accepts_tests", acceptsTests_);
    extraLines(out, indent, extra_);
    return out;
}

std::string ScheduleConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "id", id_);
    line(out, indent, "programme", programme_);
    line(out, indent, "at", at_);
    list(out, indent, "days", days_);
    line(out, indent, "date", date_);
    line(out, indent, "priority", priority_);
    list(out, indent, "files", files_);
    extraLines(out, indent, extra_);
    return out;
}

ApiConfig& ApiConfig::token(std::string name, std::string role, const std::string& token) {
    return add(tokens_, Token{std::move(name), std::move(role), hexEncode(tokenHash(token))});
}

ApiConfig& ApiConfig::tokens(const std::vector<TestToken>& tokens) {
    for (const auto& t : tokens)
        token(t.name, t.role, t.token);
    return *this;
}

std::string ApiConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "listen", listen_);
    if (tls_) {
        std::string body;
        line(body, indent + 2, "certificate", tls_->first);
        line(body, indent + 2, "key", tls_->second);
        mapping(out, indent, "tls", body);
    }
    line(out, indent, "two_person_rule", twoPersonRule_);
    line(out, indent, "confirm_window_s", confirmWindowS_);
    line(out, indent, "console", console_);
    if (!tokens_.empty()) out.append(static_cast<size_t>(indent), ' ').append("tokens:\n");
    for (const auto& t : tokens_) {
        std::string entry;
        line(entry, indent + 4, "name", t.name);
        line(entry, indent + 4, "role", t.role);
        line(entry, indent + 4, "sha256", t.sha256);
        out += item(entry, indent + 2);
    }
    extraLines(out, indent, extra_);
    return out;
}

std::string EmergencyConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "tone_ms", toneMs_);
    line(out, indent, "slots", slots_);
    if (!messages_.empty()) {
        std::string body;
        for (const auto& [name, file] : messages_)
            line(body, indent + 2, name, file);
        mapping(out, indent, "messages", body);
    }
    extraLines(out, indent, extra_);
    return out;
}

std::string FanoutConfig::yaml(int indent) const {
    std::string out;
    line(out, indent, "workers", workers_);
    line(out, indent, "pacing_ms", pacingMs_);
    line(out, indent, "slots", slots_);
    line(out, indent, "realtime_priority", realtimePriority_);
    extraLines(out, indent, extra_);
    return out;
}

std::string ConfigBuilder::yaml() const {
    std::string out = "gateway:\n";
    line(out, 2, "id", id_);
    line(out, 2, "state_dir", stateDir_);
    std::string media;
    line(media, 4, "listen", mediaListen_);
    mapping(out, 2, "media", media);
    line(out, 2, "log_level", logLevel_);
    line(out, 2, "timezone", timezone_);
    line(out, 2, "station_offline_s", stationOfflineS_);
    list(out, 2, "media_roots", mediaRoots_);
    if (fanout_) mapping(out, 2, "fanout", fanout_->yaml(4));
    extraLines(out, 2, gatewayExtra_);
    out += "programmes:\n";
    for (const auto& p : programmes_)
        out += item(p.yaml(4), 2);
    if (!stations_.empty()) out += "stations:\n";
    for (const auto& s : stations_)
        out += item(s.yaml(4), 2);
    if (!schedule_.empty()) out += "schedule:\n";
    for (const auto& e : schedule_)
        out += item(e.yaml(4), 2);
    if (api_) mapping(out, 0, "api", api_->yaml(2));
    if (emergency_) mapping(out, 0, "emergency", emergency_->yaml(2));
    extraLines(out, 0, extra_);
    return out;
}

std::filesystem::path ConfigBuilder::write(const std::filesystem::path& file) const {
    std::ofstream out(file);
    out << yaml();
    if (!out) ADD_FAILURE() << "cannot write " << file;
    return file;
}

ConfigBuilder basicConfig(uint16_t mediaPort, const std::vector<std::string>& files,
                          const std::vector<StationSpec>& stations) {
    std::vector<std::string> paths;
    for (const auto& f : files)
        paths.push_back(segment(f));
    ConfigBuilder config("test-gateway", loopback(mediaPort));
    config.programme(ProgrammeConfig("national").playlist(paths, PlaylistMode::loop));
    for (const auto& s : stations)
        config.station(StationConfig(s.id, "national").address(loopback(s.port)).profile(s.profile));
    return config;
}

std::filesystem::path writeConfig(const std::filesystem::path& dir, uint16_t mediaPort,
                                  const std::vector<std::string>& files, const std::vector<StationSpec>& stations,
                                  const std::string& name) {
    return basicConfig(mediaPort, files, stations).write(dir / name);
}

}  // namespace loa::test
