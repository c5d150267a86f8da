#include <gtest/gtest.h>

#include "app/StationCredentials.hpp"

namespace loa {
namespace {

Settings credentialsConfig() {
    Settings s;
    s.gateway.id = "gw";
    s.gateway.mediaListen = *SocketAddress::parse("127.0.0.1:5004");
    s.gateway.priorityExtensionId = 3;
    ProgrammeSettings national;
    national.id = "national";
    national.name = "National";
    ProgrammeSettings music;
    music.id = "music";
    music.payloadType = 111;
    music.encoder.channels = 2;
    music.encoder.frameMs = 10;
    s.programmes = {national, music};
    return s;
}

StationSettings unicast(const std::string& id, const std::string& programme = "national") {
    StationSettings st;
    st.id = id;
    st.programme = programme;
    st.address = *SocketAddress::parse("127.0.0.1:6000");
    return st;
}

const std::vector<uint8_t> kCredentialsSecret(32, 0x42);

TEST(StationCredentials, OneStationHasOneSsrcAndKeyWhereverItIsAskedFor) {
    const StationCredentials credentials(kCredentialsSecret);
    const auto settings = credentialsConfig();
    const auto st = unicast("commune-001");
    const auto registered = credentials.registration(st);
    const auto described = credentials.describe(settings, st);
    EXPECT_EQ(registered.id, "commune-001");
    EXPECT_EQ(registered.streamSsrc, credentials.ssrc(st));
    EXPECT_EQ(described.ssrc, credentials.ssrc(st));
    EXPECT_EQ(registered.keyMaterial, credentials.key(st));
    EXPECT_EQ(described.keyMaterial, credentials.key(st));
    // The same secret gives the same credentials in another process (the keys command); another
    // secret gives others.
    EXPECT_EQ(StationCredentials(kCredentialsSecret).key(st), credentials.key(st));
    EXPECT_NE(StationCredentials(std::vector<uint8_t>(32, 0x43)).key(st), credentials.key(st));
    EXPECT_NE(credentials.ssrc(unicast("commune-002")), credentials.ssrc(st));
}

TEST(StationCredentials, ARekeyChangesTheKeyNotTheSsrcAndAConfiguredKeyWins) {
    const StationCredentials credentials(kCredentialsSecret);
    auto st = unicast("commune-001");
    const auto before = credentials.key(st);
    const auto ssrc = credentials.ssrc(st);
    st.keyEpoch = 1;
    EXPECT_NE(credentials.key(st), before);
    EXPECT_EQ(credentials.ssrc(st), ssrc);
    st.key = std::vector<uint8_t>(30, 0x07);
    EXPECT_EQ(credentials.key(st), *st.key);
    EXPECT_EQ(credentials.registration(st).keyMaterial, *st.key);
}

TEST(StationCredentials, TheStreamIsDescribedInItsOwnProgrammesFormat) {
    const StationCredentials credentials(kCredentialsSecret);
    const auto settings = credentialsConfig();
    const auto national = credentials.describe(settings, unicast("a"));
    EXPECT_EQ(national.payloadType, 96);
    EXPECT_EQ(national.channels, 1);
    EXPECT_EQ(national.programmeName, "National");
    EXPECT_EQ(national.priorityExtensionId, 3);
    ASSERT_TRUE(national.reportTo);
    EXPECT_EQ(national.reportTo->toString(), "127.0.0.1:5004");
    const auto music = credentials.describe(settings, unicast("b", "music"));
    EXPECT_EQ(music.payloadType, 111);
    EXPECT_EQ(music.channels, 2);
    EXPECT_EQ(music.frameMs, 10);
    // A station that is learned from its reports is told where to listen, on any address.
    auto learned = unicast("c");
    learned.address = SocketAddress{};
    learned.port = 7000;
    EXPECT_EQ(credentials.describe(settings, learned).destination.toString(), "0.0.0.0:7000");
}

TEST(StationCredentials, AGroupIsKeyedApartFromAStationOfTheSameName) {
    const StationCredentials credentials(kCredentialsSecret);
    auto settings = credentialsConfig();
    MulticastGroupSettings group;
    group.id = "a";
    group.programme = "music";
    group.address = *SocketAddress::parse("239.1.2.3:5004");
    EXPECT_NE(credentials.key(group), credentials.key(unicast("a")));
    const auto described = credentials.describe(settings, group);
    EXPECT_EQ(described.stationId, groupDestinationId("a"));
    EXPECT_EQ(described.ssrc, credentials.ssrc(group));
    EXPECT_EQ(described.payloadType, 111);
    EXPECT_FALSE(described.reportTo);
}

TEST(StationCredentials, EachLiveFeedGetsItsOwnDerivedKeyUnlessGivenOrPlain) {
    const StationCredentials credentials(kCredentialsSecret);
    ProgrammeSettings p;
    p.id = "national";
    p.live = IngestSettings{};
    p.upstream = IngestSettings{};
    const auto filled = credentials.withIngestKeys(p);
    ASSERT_TRUE(filled.live->key && filled.upstream->key);
    EXPECT_NE(*filled.live->key, *filled.upstream->key);
    EXPECT_EQ(credentials.withIngestKeys(p).live->key, filled.live->key);
    p.live->key = std::vector<uint8_t>(30, 0x09);
    p.upstream->allowPlainRtp = true;
    const auto kept = credentials.withIngestKeys(p);
    EXPECT_EQ(*kept.live->key, std::vector<uint8_t>(30, 0x09));
    EXPECT_FALSE(kept.upstream->key);
}

}  // namespace
}  // namespace loa
