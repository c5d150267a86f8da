#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "TestData.hpp"
#include "settings/Settings.hpp"

using namespace loa;

namespace {
/// A valid config; each test breaks one thing in it.
std::string validYaml() {
    return R"(gateway:
  id: test-gw
  state_dir: state
  media:
    listen: 127.0.0.1:5004
programmes:
  - id: national
    encoder:
      bitrate: 24000
      channels: 2
    playlist:
      mode: shuffle
      files:
        - )" +
           (test::sourceDir() / "config/segments/tone-1khz.wav").string() + R"(
stations:
  - id: st-1
    programme: national
    address: 127.0.0.1:40001
  - id: st-2
    programme: national
    address: "[::1]:40002"
    srtp_profile: aead-aes-128-gcm
    key: QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQg==
)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the config";
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
}

/// Parses `yaml` expecting a ConfigError whose message names line `line` and contains `key` and `words`.
void expectError(const std::string& yaml, int line, const std::string& key, const std::string& words) {
    try {
        parseSettings(yaml, "/etc/loa/test.yaml");
        ADD_FAILURE() << "no error for a config that should fail at " << key;
    } catch (const ConfigError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("/etc/loa/test.yaml:" + std::to_string(line) + ": "), std::string::npos) << what;
        EXPECT_NE(what.find(key), std::string::npos) << what;
        EXPECT_NE(what.find(words), std::string::npos) << what;
    }
}
}  // namespace

TEST(Settings, ParsesAValidConfig) {
    const auto s = parseSettings(validYaml(), "/etc/loa/test.yaml");
    EXPECT_EQ(s.gateway.id, "test-gw");
    EXPECT_EQ(s.gateway.stateDir, "/etc/loa/state");  // relative to the config file
    EXPECT_EQ(s.gateway.mediaListen.port(), 5004);
    EXPECT_EQ(s.gateway.priorityExtensionId, 1);
    ASSERT_EQ(s.programmes.size(), 1u);
    EXPECT_EQ(s.programmes[0].name, "national");  // name defaults to the id
    EXPECT_EQ(s.programmes[0].encoder.bitrate, 24000);
    EXPECT_EQ(s.programmes[0].encoder.channels, 2);
    EXPECT_EQ(s.programmes[0].encoder.frameMs, 20);
    EXPECT_EQ(s.programmes[0].playlist->playlist.mode, PlaylistMode::shuffle);
    ASSERT_EQ(s.stations.size(), 2u);
    EXPECT_EQ(s.stations[1].address.family(), AF_INET6);
    EXPECT_EQ(s.stations[1].profile, SrtpProfile::aeadAes128Gcm);
    ASSERT_TRUE(s.stations[1].key);
    EXPECT_EQ(s.stations[1].key->size(), 28u);
    EXPECT_FALSE(s.stations[0].key);
}

TEST(Settings, TheBundledExampleIsValid) {
    const auto s = loadSettings(test::sourceDir() / "config/example.yaml");
    EXPECT_EQ(s.stations.size(), 3u);
    for (const auto& f : s.programmes.at(0).playlist->playlist.files)
        EXPECT_TRUE(std::filesystem::exists(f)) << f;
}

TEST(Settings, UnknownKeysAreErrors) {
    expectError(replace(validYaml(), "  id: test-gw\n", "  id: test-gw\n  colour: blue\n"), 3, "gateway.colour",
                "unknown key");
    expectError(replace(validYaml(), "      bitrate: 24000", "      bitrat: 24000"), 9, "programmes[0].encoder.bitrat",
                "unknown key");
    expectError(validYaml() + "extra: 1\n", 24, "extra", "unknown key");
}

TEST(Settings, MissingRequiredKeys) {
    expectError(replace(validYaml(), "  id: test-gw\n", ""), 2, "gateway.id", "missing");
    expectError(replace(validYaml(), "    programme: national\n    address: 127.0.0.1:40001\n",
                        "    address: 127.0.0.1:40001\n"),
                16, "stations[0].programme", "missing");
}

TEST(Settings, WrongTypesAndRanges) {
    expectError(replace(validYaml(), "bitrate: 24000", "bitrate: fast"), 9, "programmes[0].encoder.bitrate",
                "expected an integer from 6000 to 510000, got 'fast'");
    expectError(replace(validYaml(), "channels: 2", "channels: 3"), 10, "programmes[0].encoder.channels",
                "expected an integer from 1 to 2, got 3");
    expectError(replace(validYaml(), "mode: shuffle", "mode: random"), 12, "programmes[0].playlist.mode",
                "expected one of loop, once, shuffle");
    expectError(replace(validYaml(), "  media:\n    listen: 127.0.0.1:5004\n", "  media: 5004\n"), 4, "gateway.media",
                "expected a mapping");
}

TEST(Settings, BadAddressesKeysAndIds) {
    expectError(replace(validYaml(), "address: 127.0.0.1:40001", "address: localhost:40001"), 18, "stations[0].address",
                "expected an IP address and port");
    expectError(replace(validYaml(), "key: QkJC", "key: ?QkJC"), 23, "stations[1].key", "base64 of 28 bytes");
    expectError(replace(validYaml(), "id: st-1", "id: st 1"), 16, "stations[0].id", "expected 1 to 64 characters");
}

TEST(Settings, CrossReferencesAreChecked) {
    expectError(replace(validYaml(), "id: st-2", "id: st-1"), 19, "stations[1].id", "duplicate station id 'st-1'");
    expectError(replace(validYaml(), "    programme: national\n    address: \"[::1]",
                        "    programme: regional\n    address: \"[::1]"),
                20, "stations[1].programme", "no programme with id 'regional'");
    expectError(replace(validYaml(), "\"[::1]:40002\"", "127.0.0.1:40001"), 21, "stations[1].address",
                "already used by station 'st-1'");
    expectError(replace(validYaml(), "tone-1khz.wav", "no-such-file.wav"), 14, "programmes[0].playlist.files[0]",
                "no such file");
}

TEST(Settings, FanoutAndMulticastGroups) {
    const auto s = parseSettings(validYaml() + R"(multicast_groups:
  - id: district-1
    programme: national
    address: 239.255.1.1:5100
    interface: 127.0.0.1
    ttl: 8
)",
                                 "/etc/loa/test.yaml");
    ASSERT_EQ(s.multicastGroups.size(), 1u);
    EXPECT_EQ(s.multicastGroups[0].ttl, 8);
    EXPECT_EQ(s.multicastGroups[0].address.port(), 5100);
    ASSERT_TRUE(s.multicastGroups[0].interface);
    EXPECT_EQ(s.multicastGroups[0].interface->host(), "127.0.0.1");
    EXPECT_EQ(s.gateway.fanout.workers, 0);  // one per core
    EXPECT_EQ(s.gateway.fanout.pacingMs, 15);
    EXPECT_EQ(s.gateway.fanout.realtimePriority, 0);

    const auto tuned =
        parseSettings(replace(validYaml(), "  media:\n", "  fanout:\n    workers: 3\n    pacing_ms: 0\n    realtime_priority: 30\n  media:\n"),
                      "/etc/loa/test.yaml");
    EXPECT_EQ(tuned.gateway.fanout.workers, 3);
    EXPECT_EQ(tuned.gateway.fanout.pacingMs, 0);
    EXPECT_EQ(tuned.gateway.fanout.realtimePriority, 30);

    const std::string group = "multicast_groups:\n  - id: g\n    programme: national\n    address: ";
    expectError(validYaml() + group + "127.0.0.1:5100\n", 27, "multicast_groups[0].address", "IPv4 multicast group");
    expectError(validYaml() + group + "239.1.1.1:5100\n    ttl: 0\n", 28, "multicast_groups[0].ttl", "from 1 to 255");
    expectError(validYaml() + group + "239.1.1.1:5100\n    interface: eth0\n", 28, "multicast_groups[0].interface",
                "IPv4 address of an interface");
    expectError(replace(validYaml(), "  media:\n", "  fanout:\n    slots: 0\n  media:\n"), 5, "gateway.fanout.slots",
                "from 1 to 100");
}

TEST(Settings, BrokenDocuments) {
    expectError("", 1, "(document)", "empty");
    expectError("gateway: [1, 2\n", 2, "(document)", "not valid YAML");
    expectError(replace(validYaml(), "  id: test-gw\n", "  id: test-gw\n  id: other\n"), 3, "gateway.id",
                "duplicate key");
    EXPECT_THROW(loadSettings("/nonexistent/loa.yaml"), Error);
}

namespace {
/// The valid config with a live feed, an upstream and a schedule entry added.
std::string withSources(const std::string& liveExtra = "", const std::string& entryExtra = "") {
    const std::string tone = (test::sourceDir() / "config/segments/tone-1khz.wav").string();
    return replace(validYaml(), "    playlist:\n",
                   "    crossfade_ms: 80\n"
                   "    live:\n"
                   "      listen: 127.0.0.1:6000\n"
                   "      key: QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC\n"
                   "      jitter_ms: 20\n" +
                       liveExtra +
                       "    upstream:\n"
                       "      listen: 127.0.0.1:6002\n"
                       "      allow_plain_rtp: true\n"
                       "    filler:\n"
                       "      files: [" +
                       tone +
                       "]\n"
                       "    playlist:\n") +
           "schedule:\n"
           "  - id: news\n"
           "    programme: national\n"
           "    at: \"06:30\"\n"
           "    days: [mon, fri]\n"
           "    priority: bulletin\n"
           "    files: [" +
           tone + "]\n" + entryExtra;
}
}  // namespace

TEST(Settings, LiveFeedsFillerAndSchedule) {
    const auto s = parseSettings(replace(withSources("      duck: {gain_db: -12, attack_ms: 30}\n"), "  media:\n",
                                         "  timezone: Asia/Ho_Chi_Minh\n  media:\n"),
                                 "/etc/loa/test.yaml");
    const auto& p = s.programmes.at(0);
    EXPECT_EQ(s.gateway.timezone, "Asia/Ho_Chi_Minh");
    EXPECT_EQ(p.crossfadeMs, 80);
    EXPECT_FALSE(p.loudness);
    ASSERT_TRUE(p.live && p.upstream && p.filler && p.playlist);
    EXPECT_EQ(p.live->listen.port(), 6000);
    EXPECT_EQ(p.live->jitterMs, 20);
    EXPECT_EQ(p.live->timeoutMs, 500);
    ASSERT_TRUE(p.live->key);
    ASSERT_TRUE(p.live->duck);
    EXPECT_EQ(p.live->duck->gainDb, -12);
    EXPECT_EQ(p.live->duck->attackMs, 30);
    EXPECT_EQ(p.live->duck->releaseMs, 500);
    EXPECT_TRUE(p.upstream->allowPlainRtp);
    ASSERT_EQ(s.schedule.size(), 1u);
    EXPECT_EQ(s.schedule[0].secondOfDay, 6 * 3600 + 30 * 60);
    EXPECT_EQ(s.schedule[0].weekdays, (1u << 1) | (1u << 5));
    EXPECT_EQ(s.schedule[0].priority, SchedulePriority::bulletin);
}

TEST(Settings, LoudnessTarget) {
    const auto s = parseSettings(replace(withSources(), "    crossfade_ms: 80\n", "    loudness: {target_dbfs: -23}\n"),
                                 "/etc/loa/test.yaml");
    ASSERT_TRUE(s.programmes.at(0).loudness);
    EXPECT_EQ(s.programmes[0].loudness->targetDbfs, -23);
    EXPECT_EQ(s.programmes[0].loudness->maxGainDb, 10);
    expectError(replace(withSources(), "    crossfade_ms: 80\n", "    loudness: {target_dbfs: 3}\n"), 11,
                "programmes[0].loudness.target_dbfs", "from -60 to 0");
}

TEST(Settings, LiveFeedAndScheduleErrors) {
    expectError(replace(withSources(), "      allow_plain_rtp: true\n",
                        "      allow_plain_rtp: true\n      key: " + std::string(30 * 4 / 3, 'Q') + "\n"),
                18, "programmes[0].upstream.allow_plain_rtp", "contradicts key");
    expectError(replace(withSources(), "jitter_ms: 20", "jitter_ms: 5"), 15, "programmes[0].live.jitter_ms",
                "from 20 to 200");
    expectError(replace(withSources(), "\"06:30\"", "\"6.30\""), 37, "schedule[0].at", "HH:MM");
    expectError(replace(withSources(), "[mon, fri]", "[mon, fry]"), 38, "schedule[0].days[1]", "sun, mon");
    expectError(withSources("", "    date: 2027-02-30\n"), 41, "schedule[0].date", "YYYY-MM-DD");
    expectError(replace(withSources(), "programme: national\n    at:", "programme: regional\n    at:"), 36,
                "schedule[0].programme", "no programme");
    expectError(replace(withSources(), "127.0.0.1:6002", "127.0.0.1:5004"), 7, "programmes[0].upstream.listen",
                "media address");
    expectError(replace(validYaml(), "  media:\n", "  timezone: Mars/Olympus\n  media:\n"), 4, "gateway.timezone",
                "no such time zone");
}

TEST(Settings, TheApiNeedsTlsOffLoopbackAndRefusesExampleTokens) {
    const std::string api =
        "api:\n  listen: 0.0.0.0:8443\n  tokens:\n    - {name: a, role: admin, sha256: "
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n";
    expectError(validYaml() + api, 25, "api.listen", "plain HTTP only on a loopback address");
    // sha256("example"), the documentation's token.
    const std::string example =
        "api:\n  listen: 127.0.0.1:8080\n  tokens:\n    - {name: a, role: admin, sha256: "
        "50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c}\n";
    expectError(validYaml() + example, 27, "api.tokens[0].sha256", "example token");
}

TEST(Settings, AnApiTokenMayExpire) {
    const std::string api =
        "api:\n  listen: 127.0.0.1:8080\n  tokens:\n    - {name: a, role: admin, expires: 2027-01-31, "
        "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n";
    const auto s = parseSettings(validYaml() + api, "/etc/loa/test.yaml");
    EXPECT_EQ(s.api->tokens.at(0).expiresMs, 1801440000000);  // 2027-02-01T00:00:00Z: through the 31st
    expectError(validYaml() + replace(api, "2027-01-31", "2027-02-31"), 27, "api.tokens[0].expires", "YYYY-MM-DD");
}

TEST(Settings, TwoTokensWhoseNamesDifferOnlyInCaseAreOnePersonAndRefused) {
    const std::string api =
        "api:\n  listen: 127.0.0.1:8080\n  tokens:\n    - {name: alice, role: emergency, sha256: "
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n"
        "    - {name: Alice, role: emergency, sha256: "
        "8f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n";
    expectError(validYaml() + api, 28, "api.tokens[1].name", "regardless of case");
}

TEST(Settings, AFeedMayBePinnedToItsSourceAndAnUpstreamNameItsParent) {
    const auto s = parseSettings(
        replace(withSources(), "127.0.0.1:6002\n", "127.0.0.1:6002\n      source: [10.77.1.2:5004, 10.0.0.0/8]\n      parent: central\n"),
        "/etc/loa/test.yaml");
    ASSERT_EQ(s.programmes[0].upstream->sources.size(), 2u);
    EXPECT_TRUE(s.programmes[0].upstream->sources[1].matches(*SocketAddress::parse("10.9.9.9:1")));
    EXPECT_EQ(s.programmes[0].upstream->parent, "central");
    try {
        parseSettings(replace(withSources(), "127.0.0.1:6002\n", "127.0.0.1:6002\n      source: somewhere\n"),
                      "/etc/loa/test.yaml");
        ADD_FAILURE() << "a source that is no address was taken";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("programmes[0].upstream.source: expected an address"), std::string::npos)
            << e.what();
    }
}

TEST(Settings, ThePacingWindowIsShorterThanTheShortestFrame) {
    const std::string tenMs = replace(validYaml(), "      channels: 2\n", "      channels: 2\n      frame_ms: 10\n");
    EXPECT_EQ(parseSettings(tenMs, "/etc/loa/test.yaml").gateway.fanout.pacingMs, 7) << "three quarters of 10 ms";
    try {
        parseSettings(replace(tenMs, "  media:\n", "  fanout:\n    pacing_ms: 60\n  media:\n"), "/etc/loa/test.yaml");
        ADD_FAILURE() << "pacing over 60 ms of a 10 ms frame was taken";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("gateway.fanout.pacing_ms: must be shorter than the shortest programme frame"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(parseSettings(validYaml(), "/etc/loa/test.yaml").gateway.fanout.pacingMs, 15);
}

TEST(Settings, AStationIsNeverTheGatewayItselfAGroupABroadcastOrPortZero) {
    const std::pair<std::string, std::string> bad[] = {
        {"0.0.0.0:5004", "own media socket"},   {"127.0.0.5:5004", "own media socket"},
        {"\"[::1]:5004\"", "own media socket"}, {"\"[::]:5004\"", "own media socket"},
        {"239.0.0.1:40001", "multicast"},       {"255.255.255.255:40001", "broadcast"},
        {"127.0.0.1:0", "port 0"},
    };
    for (const auto& [address, why] : bad)
        expectError(replace(validYaml(), "address: 127.0.0.1:40001", "address: " + address), 18, "stations[0].address",
                    why);
    for (const char* id : {"..", ".", ".hidden", "-x"})
        expectError(replace(validYaml(), "id: st-1", std::string("id: \"") + id + "\""), 16, "stations[0].id",
                    "starting with a letter or digit");
}
