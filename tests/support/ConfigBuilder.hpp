#pragma once
// Gateway configs for tests, typed: one builder per section of the YAML that loa::parseSettings
// reads (config/example.yaml shows every key). Only what a test sets is written; everything else
// keeps the parser's default. Anything without a setter goes through a section's extra().

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/Log.hpp"
#include "settings/Settings.hpp"
#include "srtp/SrtpProfile.hpp"

namespace loa::test {

/// "127.0.0.1:`port`": where the tests' gateways and stations listen.
std::string loopback(uint16_t port);
/// The absolute path of config/segments/`name`.
std::string segment(const std::string& name);
/// Base64 of `bytes`: a key as the config (and loa-station --key) takes it.
std::string b64(const std::vector<uint8_t>& bytes);
/// Base64 of 30 bytes of `fill`: a test's SRTP master key and salt (AES-CM).
std::string b64(uint8_t fill);

/// One API token as a test config lists it: a name, a role and the token itself.
struct TestToken {
    std::string name;
    std::string role;
    std::string token;
};

/// What every section has: chainable setters; extra(), YAML lines added to the section as they
/// are (indented to it) for keys without a setter; and yaml(indent), its lines at that indent.
template <class Self>
class Section {
public:
    Self& extra(std::string yaml) { return set(extra_, std::move(yaml)); }

protected:
    template <class T, class V>
    Self& set(T& field, V&& value) {
        field = std::forward<V>(value);
        return static_cast<Self&>(*this);
    }
    template <class T, class V>
    Self& add(std::vector<T>& list, V&& value) {
        list.push_back(std::forward<V>(value));
        return static_cast<Self&>(*this);
    }
    std::string extra_;
};

/// A programme's live or upstream feed (programmes[].live, programmes[].upstream).
class IngestConfig : public Section<IngestConfig> {
public:
    explicit IngestConfig(std::string listen) : listen_(std::move(listen)) {}
    IngestConfig& key(std::string base64) { return set(key_, std::move(base64)); }
    IngestConfig& profile(SrtpProfile p) { return set(profile_, p); }
    IngestConfig& allowPlainRtp(bool allow = true) { return set(allowPlainRtp_, allow); }
    IngestConfig& jitterMs(int ms) { return set(jitterMs_, ms); }
    IngestConfig& timeoutMs(int ms) { return set(timeoutMs_, ms); }
    IngestConfig& returnMs(int ms) { return set(returnMs_, ms); }
    IngestConfig& silenceS(int s) { return set(silenceS_, s); }
    /// One more address, address:port or network its packets may come from.
    IngestConfig& source(std::string pattern) { return add(sources_, std::move(pattern)); }
    IngestConfig& parent(std::string gatewayId) { return set(parent_, std::move(gatewayId)); }
    std::string yaml(int indent) const;

private:
    std::string listen_;
    std::optional<std::string> key_, parent_;
    std::optional<SrtpProfile> profile_;
    std::optional<bool> allowPlainRtp_;
    std::optional<int> jitterMs_, timeoutMs_, returnMs_, silenceS_;
    std::vector<std::string> sources_;
};

/// One programme (programmes[]): its encoder, its sources.
class ProgrammeConfig : public Section<ProgrammeConfig> {
public:
    explicit ProgrammeConfig(std::string id) : id_(std::move(id)) {}
    ProgrammeConfig& name(std::string name) { return set(name_, std::move(name)); }
    ProgrammeConfig& payloadType(int pt) { return set(payloadType_, pt); }
    ProgrammeConfig& bitrate(int bps) { return set(bitrate_, bps); }
    ProgrammeConfig& channels(int n) { return set(channels_, n); }
    ProgrammeConfig& complexity(int c) { return set(complexity_, c); }
    ProgrammeConfig& frameMs(int ms) { return set(frameMs_, ms); }
    ProgrammeConfig& application(OpusApplication a) { return set(application_, a); }
    ProgrammeConfig& crossfadeMs(int ms) { return set(crossfadeMs_, ms); }
    ProgrammeConfig& live(IngestConfig in) { return set(live_, std::move(in)); }
    ProgrammeConfig& upstream(IngestConfig in) { return set(upstream_, std::move(in)); }
    /// Continuous segments: `files` (absolute paths, see segment()); no mode: the parser's (loop).
    ProgrammeConfig& playlist(std::vector<std::string> files, std::optional<PlaylistMode> mode = std::nullopt) {
        return set(playlist_, Segments{std::move(files), mode});
    }
    ProgrammeConfig& filler(std::vector<std::string> files, std::optional<PlaylistMode> mode = std::nullopt) {
        return set(filler_, Segments{std::move(files), mode});
    }
    std::string yaml(int indent) const;

private:
    struct Segments {
        std::vector<std::string> files;
        std::optional<PlaylistMode> mode;
    };
    std::string id_;
    std::optional<std::string> name_;
    std::optional<int> payloadType_, bitrate_, channels_, complexity_, frameMs_, crossfadeMs_;
    std::optional<OpusApplication> application_;
    std::optional<IngestConfig> live_, upstream_;
    std::optional<Segments> playlist_, filler_;
};

/// One station (stations[]): at a fixed address, or (with only a port) learned from its reports.
class StationConfig : public Section<StationConfig> {
public:
    StationConfig(std::string id, std::string programme) : id_(std::move(id)), programme_(std::move(programme)) {}
    StationConfig& name(std::string name) { return set(name_, std::move(name)); }
    StationConfig& address(std::string hostPort) { return set(address_, std::move(hostPort)); }
    StationConfig& port(uint16_t port) { return set(port_, port); }
    StationConfig& profile(SrtpProfile p) { return set(profile_, p); }
    StationConfig& key(std::string base64) { return set(key_, std::move(base64)); }
    StationConfig& area(std::string codes) { return set(area_, std::move(codes)); }
    StationConfig& group(std::string name) { return add(groups_, std::move(name)); }
    StationConfig& acceptsTests(bool accepts = true) { return set(acceptsTests_, accepts); }
    std::string yaml(int indent) const;

private:
    std::string id_, programme_;
    std::optional<std::string> name_, address_, key_, area_;
    std::optional<uint16_t> port_;
    std::optional<SrtpProfile> profile_;
    std::vector<std::string> groups_;
    std::optional<bool> acceptsTests_;
};

/// One schedule entry (schedule[]): files played once at a time of day.
class ScheduleConfig : public Section<ScheduleConfig> {
public:
    ScheduleConfig(std::string id, std::string programme) : id_(std::move(id)), programme_(std::move(programme)) {}
    /// "HH:MM" or "HH:MM:SS" in the gateway's time zone.
    ScheduleConfig& at(std::string time) { return set(at_, std::move(time)); }
    /// "YYYY-MM-DD": once, on that day.
    ScheduleConfig& date(std::string day) { return set(date_, std::move(day)); }
    /// "sun".."sat": on that weekday too.
    ScheduleConfig& day(std::string weekday) { return add(days_, std::move(weekday)); }
    ScheduleConfig& files(std::vector<std::string> files) { return set(files_, std::move(files)); }
    ScheduleConfig& priority(SchedulePriority p) { return set(priority_, p); }
    std::string yaml(int indent) const;

private:
    std::string id_, programme_;
    std::optional<std::string> at_, date_;
    std::vector<std::string> days_, files_;
    std::optional<SchedulePriority> priority_;
};

/// The control API (api:): where it listens and who may call it.
class ApiConfig : public Section<ApiConfig> {
public:
    explicit ApiConfig(std::string listen) : listen_(std::move(listen)) {}
    /// A token, listed by its SHA-256.
    ApiConfig& token(std::string name, std::string role, const std::string& token);
    ApiConfig& tokens(const std::vector<TestToken>& tokens);
    ApiConfig& twoPersonRule(bool on) { return set(twoPersonRule_, on); }
    ApiConfig& confirmWindowS(int s) { return set(confirmWindowS_, s); }
    ApiConfig& tls(std::string certificate, std::string key) {
        return set(tls_, std::pair{std::move(certificate), std::move(key)});
    }
    /// The console's directory, or "none".
    ApiConfig& console(std::string dir) { return set(console_, std::move(dir)); }
    std::string yaml(int indent) const;

private:
    struct Token {
        std::string name, role, sha256;
    };
    std::string listen_;
    std::vector<Token> tokens_;
    std::optional<bool> twoPersonRule_;
    std::optional<int> confirmWindowS_;
    std::optional<std::pair<std::string, std::string>> tls_;
    std::optional<std::string> console_;
};

/// Emergencies (emergency:): the tone, the messages an alert may play, how many at once.
class EmergencyConfig : public Section<EmergencyConfig> {
public:
    EmergencyConfig& toneMs(int ms) { return set(toneMs_, ms); }
    EmergencyConfig& slots(int n) { return set(slots_, n); }
    /// A message an emergency may name: `file`, an absolute path.
    EmergencyConfig& message(std::string name, std::string file) {
        return add(messages_, std::pair{std::move(name), std::move(file)});
    }
    std::string yaml(int indent) const;

private:
    std::optional<int> toneMs_, slots_;
    std::vector<std::pair<std::string, std::string>> messages_;
};

/// The sending threads (gateway.fanout).
class FanoutConfig : public Section<FanoutConfig> {
public:
    FanoutConfig& workers(int n) { return set(workers_, n); }
    FanoutConfig& pacingMs(int ms) { return set(pacingMs_, ms); }
    FanoutConfig& slots(int n) { return set(slots_, n); }
    FanoutConfig& realtimePriority(int p) { return set(realtimePriority_, p); }
    std::string yaml(int indent) const;

private:
    std::optional<int> workers_, pacingMs_, slots_, realtimePriority_;
};

/// A whole gateway config: the gateway section (state in `state` beside the file unless told),
/// programmes, stations, schedule, api and emergency. Its extra() is top-level YAML (a
/// multicast_groups: section, say), written last.
class ConfigBuilder : public Section<ConfigBuilder> {
public:
    ConfigBuilder(std::string id, std::string mediaListen) : id_(std::move(id)), mediaListen_(std::move(mediaListen)) {}
    ConfigBuilder& stateDir(std::string dir) { return set(stateDir_, std::move(dir)); }
    /// One more directory whose files API schedule entries may name.
    ConfigBuilder& mediaRoot(std::string dir) { return add(mediaRoots_, std::move(dir)); }
    ConfigBuilder& logLevel(log::Level level) { return set(logLevel_, level); }
    ConfigBuilder& timezone(std::string name) { return set(timezone_, std::move(name)); }
    ConfigBuilder& stationOfflineS(int s) { return set(stationOfflineS_, s); }
    ConfigBuilder& fanout(FanoutConfig f) { return set(fanout_, std::move(f)); }
    /// YAML lines added to the gateway section as they are (indented to it).
    ConfigBuilder& gatewayExtra(std::string yaml) { return set(gatewayExtra_, std::move(yaml)); }

    ConfigBuilder& programme(ProgrammeConfig p) { return add(programmes_, std::move(p)); }
    ConfigBuilder& station(StationConfig s) { return add(stations_, std::move(s)); }
    ConfigBuilder& schedule(ScheduleConfig e) { return add(schedule_, std::move(e)); }
    ConfigBuilder& api(ApiConfig a) { return set(api_, std::move(a)); }
    ConfigBuilder& emergency(EmergencyConfig e) { return set(emergency_, std::move(e)); }

    std::string yaml() const;
    /// Writes yaml() to `file`; returns `file`.
    std::filesystem::path write(const std::filesystem::path& file) const;

private:
    std::string id_, mediaListen_, stateDir_ = "state";
    std::vector<std::string> mediaRoots_;
    std::optional<log::Level> logLevel_;
    std::optional<std::string> timezone_;
    std::optional<int> stationOfflineS_;
    std::optional<FanoutConfig> fanout_;
    std::string gatewayExtra_;
    std::vector<ProgrammeConfig> programmes_;
    std::vector<StationConfig> stations_;
    std::vector<ScheduleConfig> schedule_;
    std::optional<ApiConfig> api_;
    std::optional<EmergencyConfig> emergency_;
};

/// A station of basicConfig(): on 127.0.0.1:`port`.
struct StationSpec {
    std::string id;
    uint16_t port;
    SrtpProfile profile = SrtpProfile::aesCm128HmacSha1_80;
};

/// The config most tests start from: gateway test-gateway on 127.0.0.1:`mediaPort`, programme
/// national playing `files` (names in config/segments) in a loop, `stations` on loopback.
ConfigBuilder basicConfig(uint16_t mediaPort, const std::vector<std::string>& files,
                          const std::vector<StationSpec>& stations);
/// basicConfig() written into `dir` (state in dir/state).
std::filesystem::path writeConfig(const std::filesystem::path& dir, uint16_t mediaPort,
                                  const std::vector<std::string>& files, const std::vector<StationSpec>& stations,
                                  const std::string& name = "gateway.yaml");

}  // namespace loa::test
