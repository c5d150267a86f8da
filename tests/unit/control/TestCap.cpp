#include <gtest/gtest.h>

#include "FakeEmergencyOutput.hpp"

#include <map>
#include <regex>
#include <nlohmann/json.hpp>

#include "TestData.hpp"
#include "api/RequestError.hpp"
#include "common/Base64.hpp"
#include "control/CapAlert.hpp"
#include "control/EmergencyManager.hpp"

using namespace loa;
using Json = nlohmann::json;

namespace {
std::string sample(const std::string& name) {
    const auto bytes = test::readBytes(test::dataFile("cap/" + name));
    return {bytes.begin(), bytes.end()};
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    return std::regex_replace(text, std::regex(from), to);
}

int refusal(const std::function<void()>& f, std::string* why = nullptr) {
    try {
        f();
    } catch (const Refusal& e) {
        if (why) *why = e.what();
        return httpStatus(e.reason());
    }
    return 0;
}

/// Options for CAP alerts into `stations` (id, area) on one programme, one operator enough.
EmergencyOptions capSettings(const std::filesystem::path& stateDir,
                             std::vector<std::pair<const char*, const char*>> stations) {
    EmergencyOptions settings;
    settings.stateDir = stateDir;
    for (const auto& [id, area] : stations) {
        StationSettings s;
        s.id = id;
        s.programme = "national";
        s.area = area;
        settings.stations.push_back(s);
    }
    settings.confirmWindowS = 300;
    return settings;
}

using FakeOutput = test::FakeEmergencyOutput;
}  // namespace

TEST(Cap, ReadsAnAlertItsAreaExpiryAndResource) {
    const auto a = parseCap(sample("flood-alert.xml"));
    EXPECT_EQ(a.identifier, "VN-NCHMF-2026-1123-001");
    EXPECT_EQ(a.status, "Actual");
    EXPECT_EQ(a.msgType, "Alert");
    EXPECT_EQ(a.geocodes, std::vector<std::string>{"01/001"});
    ASSERT_TRUE(a.expiresMs);
    EXPECT_EQ(*a.expiresMs, *parseCapTime("2099-11-23T15:00:00+00:00"));
    ASSERT_EQ(a.resources.size(), 1u);
    EXPECT_EQ(a.resources[0].mimeType, "audio/ogg");
    EXPECT_TRUE(a.resources[0].content.empty());
    const auto u = parseCap(sample("flood-update.xml"));
    ASSERT_EQ(u.references.size(), 1u);
    EXPECT_EQ(u.references[0].identifier, "VN-NCHMF-2026-1123-001");
    EXPECT_EQ(*parseCapTime("2026-11-23T10:00:00+07:00"), *parseCapTime("2026-11-23T03:00:00-00:00"));
}

TEST(Cap, MalformedDocumentsAreRefusedWithTheirReason) {
    const auto alert = sample("flood-alert.xml");
    const std::map<std::string, std::string> broken = {
        {"the XML does not parse", "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>"},
        {"root element is not <alert>", replaced(alert, "cap:1.2", "cap:1.1")},
        {"<status> is missing", replaced(alert, "<status>Actual</status>", "")},
        {"<msgType> 'Alarm'", replaced(alert, "<msgType>Alert</msgType>", "<msgType>Alarm</msgType>")},
        {"<sent> is not a date-time", replaced(alert, "2026-11-23T10:00:00\\+07:00", "yesterday")},
        {"a <geocode> has no <value>", replaced(alert, "<value>01/001</value>", "")},
        {"needs <references>", replaced(sample("flood-cancel.xml"), "<references>.*</references>", "")},
        {"not sender,identifier,sent", replaced(sample("flood-cancel.xml"), "nchmf@example.vn,VN", "VN")},
        {"not base64", replaced(alert, "<uri>", "<derefUri>!!!</derefUri><uri>")},
    };
    for (const auto& [words, xml] : broken) {
        std::string why;
        EXPECT_EQ(refusal([&] { parseCap(xml); }, &why), 400) << words;
        EXPECT_NE(why.find(words), std::string::npos) << why;
    }
}

TEST(Cap, NoDocumentWithADoctypeOrEntitiesIsReadAtAll) {
    const auto alert = sample("flood-alert.xml");
    const std::string withHeadline = replaced(alert, "<headline>[^<]*", "<headline>A&ie;B");
    std::string bomb = "<!DOCTYPE alert [<!ENTITY a \"" + std::string(1000, 'x') + "\">]>";
    const std::string refs = [] {
        std::string r;
        for (int i = 0; i < 11000; ++i)
            r += "&a;";
        return r;
    }();
    const std::vector<std::string> documents = {
        // An internal entity used to come back expanded in the headline.
        "<?xml version=\"1.0\"?><!DOCTYPE alert [<!ENTITY ie \"INTERNAL-EXPANDED\">]>" + withHeadline,
        // An external one (a local file).
        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" +
            replaced(alert, "<identifier>[^<]*", "<identifier>&x;"),
        // 11,000 references to one entity: over 10 MB expanded from a 40 KB document.
        bomb + replaced(alert, "<headline>[^<]*", "<headline>" + refs),
        // A DOCTYPE alone, without entities.
        "<!DOCTYPE alert>" + alert,
    };
    for (const auto& xml : documents) {
        std::string why;
        EXPECT_EQ(refusal([&] { parseCap(xml); }, &why), 400);
        EXPECT_NE(why.find("DOCTYPE"), std::string::npos) << why;
    }
    // An undeclared entity reference is not well-formed XML.
    EXPECT_EQ(refusal([&] { parseCap(withHeadline); }), 400);
}

TEST(Cap, DatesOutOfTheirRangesAreNotDates) {
    for (const char* bad : {"2026-13-45T99:99:99+99:99", "2026-02-30T10:00:00+07:00", "2025-02-29T10:00:00+07:00",
                            "2026-11-23T24:00:00+07:00", "2026-11-23T10:60:00+07:00", "2026-11-23T10:00:60+07:00",
                            "2026-11-23T10:00:00+15:00", "2026-11-23T10:00:00+07:60", "2026-11-23 10:00:00+07:00",
                            "2026-11-23T10:00:00", "2026-11-23T10:00:00+0700", "26-11-23T10:00:00+07:00",
                            "2026-11-23T10:00:00+07:00junk", "1969-12-31T23:59:59+00:00", "2026-1-23T10:00:00+07:00"})
        EXPECT_FALSE(parseCapTime(bad)) << bad;
    EXPECT_TRUE(parseCapTime("2028-02-29T23:59:59-14:00"));
    EXPECT_TRUE(parseCapTime("2026-11-23T10:00:00Z"));
    std::string why;
    EXPECT_EQ(refusal([&] { parseCap(replaced(sample("flood-alert.xml"), "<expires>[^<]*", "<expires>2026-13-45T99:99:99+99:99")); },
                      &why),
              400);
    EXPECT_NE(why.find("<expires>"), std::string::npos) << why;
}

TEST(Cap, AlertUpdateAndCancelDriveEmergencies) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    FakeOutput output;
    EmergencyOptions settings =
        capSettings(dir.path(), {{"hanoi-1", "01/001/00001"}, {"hanoi-9", "01/009/00090"}, {"hue-1", "46/474/1"}});
    EmergencyManager manager(store, output, settings);
    const Actor cap{"national-alerting", Role::emergency, "127.0.0.1"};

    const auto alert = manager.fromCap(cap, parseCap(sample("flood-alert.xml")));
    ASSERT_EQ(alert.size(), 1u);
    EXPECT_EQ(output.onAir.at(alert[0].id), std::vector<std::string>{"hanoi-1"});
    EXPECT_GT(alert[0].expiresMs, 0);
    // The update replaces it with a wider area; the cancel ends that.
    const auto update = manager.fromCap(cap, parseCap(sample("flood-update.xml")));
    ASSERT_EQ(update.size(), 2u);
    EXPECT_EQ(update[0].state, "cancelled");
    EXPECT_EQ(output.onAir.size(), 1u);
    EXPECT_EQ(output.onAir.at(update[1].id), (std::vector<std::string>{"hanoi-1", "hanoi-9"}));
    const auto cancel = manager.fromCap(cap, parseCap(sample("flood-cancel.xml")));
    ASSERT_EQ(cancel.size(), 1u);
    EXPECT_TRUE(output.onAir.empty());
    EXPECT_EQ(refusal([&] { manager.fromCap(cap, parseCap(sample("flood-cancel.xml"))); }), 404);
    // System and Draft alerts are not broadcast; an alert carrying its audio plays it.
    EXPECT_EQ(
        refusal([&] { manager.fromCap(cap, parseCap(replaced(sample("flood-alert.xml"), ">Actual<", ">System<"))); }),
        400);
    const std::string withAudio =
        replaced(sample("flood-alert.xml"), "<uri>",
                 "<derefUri>" + base64Encode(std::vector<uint8_t>{'O', 'g', 'g', 'S'}) + "</derefUri><uri>");
    const auto played = manager.fromCap(cap, parseCap(withAudio));
    ASSERT_TRUE(output.audio.at(played[0].id).message);
    EXPECT_EQ(test::readBytes(*output.audio.at(played[0].id).message), (std::vector<uint8_t>{'O', 'g', 'g', 'S'}));
    // A viewer's CAP is refused like any other trigger.
    EXPECT_EQ(refusal([&] { manager.fromCap({"v", Role::viewer, ""}, parseCap(sample("flood-alert.xml"))); }), 403);
}

TEST(Cap, AGeocodeThatMatchesNoStationIsNeverDroppedWithoutAWord) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    FakeOutput output;
    EmergencyManager manager(store, output,
                             capSettings(dir.path(), {{"hanoi-1", "01/001/00001"}, {"hue-1", "46/474/1"}}));
    const Actor cap{"national-alerting", Role::emergency, "127.0.0.1"};
    const std::string twoAreas = replaced(sample("flood-alert.xml"), "<value>01/001</value></geocode>",
                                          "<value>01/001</value></geocode><geocode><valueName>loa-area</valueName>"
                                          "<value>49/502</value></geocode>");
    const auto alert = manager.fromCap(cap, parseCap(twoAreas));
    ASSERT_EQ(alert.size(), 1u);
    EXPECT_EQ(output.onAir.at(alert[0].id), std::vector<std::string>{"hanoi-1"});
    EXPECT_EQ(Json::parse(alert[0].request)["unmatched"]["areas"], Json::array({"49/502"}));
    EXPECT_EQ(Json::parse(store.auditLog(1).at(0).detail)["unmatched"]["areas"], Json::array({"49/502"}));
    std::string why;
    EXPECT_EQ(
        refusal([&] { manager.fromCap(cap, parseCap(replaced(sample("flood-alert.xml"), "01/001", "49/502"))); }, &why),
        400);
    EXPECT_NE(why.find("areas 49/502"), std::string::npos) << why;
}

TEST(Cap, ATestUpdateOrCancelNeverEndsAnActualAlertAndAnActualTakesATestsSlot) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    FakeOutput output(4);
    EmergencyOptions settings = capSettings(dir.path(), {{"hanoi-1", "01/001/00001"}});
    settings.stations[0].acceptsTests = true;
    settings.twoPersonRule = true;
    EmergencyManager manager(store, output, settings);
    const Actor cap{"national-alerting", Role::emergency, "127.0.0.1"};
    const Actor second{"second-operator", Role::emergency, "127.0.0.1"};

    // Four tests fill the four slots; an actual alert, confirmed, takes one of theirs.
    for (int i = 0; i < 4; ++i) {
        const auto test = replaced(replaced(sample("flood-alert.xml"), ">Actual<", ">Test<"), "VN-NCHMF-2026-1123-001",
                                   "VN-TEST-" + std::to_string(i));
        ASSERT_EQ(manager.fromCap(cap, parseCap(test)).at(0).state, "active");
    }
    const auto pending = manager.fromCap(cap, parseCap(sample("flood-alert.xml")));
    ASSERT_EQ(pending.at(0).state, "pending");
    const auto actual = manager.confirm(second, pending.at(0).id);
    EXPECT_EQ(actual.state, "active") << "refused although four tests were on air";
    EXPECT_EQ(output.router.emergencyFor("hanoi-1"), actual.id);
    // A Test Cancel or Update that references the actual alert ends nothing.
    const auto cancelActual = replaced(sample("flood-cancel.xml"), "VN-NCHMF-2026-1123-002", "VN-NCHMF-2026-1123-001");
    const auto testCancel = replaced(cancelActual, ">Actual<", ">Test<");
    std::string why;
    EXPECT_EQ(refusal([&] { manager.fromCap(cap, parseCap(testCancel)); }, &why), 409);
    EXPECT_NE(why.find("status"), std::string::npos) << why;
    const auto testUpdate = replaced(sample("flood-update.xml"), ">Actual<", ">Test<");
    EXPECT_EQ(refusal([&] { manager.fromCap(cap, parseCap(testUpdate)); }), 409);
    EXPECT_EQ(store.emergency(actual.id)->state, "active");
    EXPECT_EQ(output.router.emergencyFor("hanoi-1"), actual.id);
    // The actual Cancel ends it.
    EXPECT_EQ(manager.fromCap(cap, parseCap(cancelActual)).at(0).state, "cancelled");
}

TEST(Cap, AnAlertsAudioIsCheckedBeforeItIsAcceptedAndTheCapMessagePlaysIfItCannot) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    FakeOutput output;
    EmergencyOptions settings = capSettings(dir.path(), {{"hanoi-1", "01/001/00001"}});
    const Actor cap{"national-alerting", Role::emergency, "127.0.0.1"};
    const auto withAudio = replaced(sample("flood-alert.xml"), "<uri>", "<derefUri>AAAAAAAA</derefUri><uri>");
    std::vector<std::filesystem::path> checked;
    const auto silent = [&](const std::filesystem::path& file) {
        checked.push_back(file);
        return std::string("it is silent");
    };
    {
        EmergencyManager manager(store, output, settings);
        manager.setAudioCheck(silent);
        std::string why;
        EXPECT_EQ(refusal([&] { manager.fromCap(cap, parseCap(withAudio)); }, &why), 400);
        EXPECT_NE(why.find("cannot be played (it is silent)"), std::string::npos) << why;
        EXPECT_TRUE(output.onAir.empty());
        ASSERT_EQ(checked.size(), 1u);
        EXPECT_FALSE(std::filesystem::exists(checked[0])) << "its file is not kept";
    }
    settings.messages = {{"cap", dir.path() / "cap-message.wav"}};
    EmergencyManager manager(store, output, settings);
    manager.setAudioCheck(silent);
    const auto started = manager.fromCap(cap, parseCap(withAudio));
    ASSERT_EQ(started.size(), 1u);
    const auto request = Json::parse(started[0].request);
    EXPECT_EQ(request.value("message", ""), "cap") << request.dump();
    EXPECT_EQ(request.value("deref_refused", ""), "it is silent") << request.dump();
    EXPECT_FALSE(request.contains("message_file"));
    // Audio that plays is played.
    manager.setAudioCheck([](const std::filesystem::path&) { return std::string(); });
    const auto played = manager.fromCap(cap, parseCap(replaced(withAudio, "VN-NCHMF-2026-1123-001", "VN-2")));
    ASSERT_EQ(played.size(), 1u);
    EXPECT_TRUE(Json::parse(played[0].request).contains("message_file"));
}
