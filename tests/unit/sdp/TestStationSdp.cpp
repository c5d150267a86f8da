#include <gtest/gtest.h>

#include "sdp/StationSdp.hpp"

using namespace loa;

TEST(StationSdp, WhatIsWrittenReadsBack) {
    StationStream s;
    s.stationId = "commune-7";
    s.programmeName = "National";
    s.destination = *SocketAddress::parse("127.0.0.1:40007");
    s.payloadType = 101;
    s.channels = 2;
    s.frameMs = 20;
    s.priorityExtensionId = 3;
    s.ssrc = 4000000000u;
    s.profile = SrtpProfile::aeadAes128Gcm;
    s.keyMaterial.assign(28, 0x42);
    const auto text = makeStationSdp(s);
    EXPECT_NE(text.find("a=crypto:1 AEAD_AES_128_GCM inline:"), std::string::npos);
    EXPECT_NE(text.find("m=audio 40007 RTP/SAVP 101"), std::string::npos);

    std::string error;
    auto back = parseStationSdp(text, error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->destination, s.destination);
    EXPECT_EQ(back->payloadType, 101);
    EXPECT_EQ(back->channels, 2);
    EXPECT_EQ(back->priorityExtensionId, 3);
    EXPECT_EQ(back->ssrc, 4000000000u);
    EXPECT_EQ(back->profile, SrtpProfile::aeadAes128Gcm);
    EXPECT_EQ(back->keyMaterial, s.keyMaterial);
}

TEST(StationSdp, ExplainsWhatIsMissing) {
    std::string error;
    EXPECT_FALSE(parseStationSdp("v=0\r\nc=IN IP4 127.0.0.1\r\n", error));
    EXPECT_NE(error.find("m=audio"), std::string::npos);
    EXPECT_FALSE(parseStationSdp("c=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/SAVP 96\r\n", error));
    EXPECT_NE(error.find("a=crypto"), std::string::npos);
    EXPECT_FALSE(
        parseStationSdp("c=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/SAVP 96\r\n"
                        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n",
                        error));
    EXPECT_NE(error.find("30 bytes"), std::string::npos);
}
