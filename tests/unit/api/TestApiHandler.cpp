#include <gtest/gtest.h>

#include "FakeEmergencyOutput.hpp"

#include <nlohmann/json.hpp>
#include <set>

#include "TestData.hpp"
#include "api/ApiHandler.hpp"
#include "app/ModuleOptions.hpp"

using namespace loa;
using Json = nlohmann::json;

namespace {
using NoOutput = test::FakeEmergencyOutput;

class ApiHandlerTest : public ::testing::Test {
protected:
    test::TempDir dir;
    StateStore store{dir.path() / "loa.db"};
    NoOutput output;
    Settings settings = [] {
        Settings s;
        StationSettings st;
        st.id = "a";
        st.programme = "national";
        st.acceptsTests = true;
        s.stations = {st};
        s.api = ApiSettings{};
        s.api->maxBodyBytes = 2048;
        s.api->maxUploadBytes = 8192;
        s.api->console = "/nonexistent/console";
        s.api->tokens = {{"old", Role::admin, tokenHash("t-old"), 1000},  // expired in 1970
                         {"vera", Role::viewer, tokenHash("t-vera")},
                         {"emma", Role::emergency, tokenHash("t-emma")},
                         {"ada", Role::admin, tokenHash("t-ada")}};
        return s;
    }();
    EmergencyManager manager{store, output, emergencyOptions(settings)};
    ApiHandler handler{
        *settings.api, manager, store,
        ApiSources{.status =
                       [] {
                           return Json{{"gateway", "gw"}};
                       },
                   .stations = [] { return Json::array(); },
                   .metrics = [] { return std::string("loa_destinations 1\n"); },
                   .stationSdp = [](const std::string& id) -> std::optional<std::string> {
                       if (id == "a") return "v=0\r\n";
                       return std::nullopt;
                   },
                   .schedule = [] { return Json::array(); },
                   .changeStation =
                       [](const Actor&, const std::string& action, const std::string& id, const std::string&) {
                           return Json{{"station", id}, {"action", action}};
                       },
                   .changeScheduleEntry =
                       [](const Actor&, const std::string& action, const std::string& id, const std::string&) {
                           return Json{{"entry", id}, {"action", action}};
                       },
                   .uploadSegment =
                       [](const Actor& c, const std::string& name, const std::string& body, bool replace) {
                           return Json{{"name", name}, {"bytes", body.size()}, {"by", c.name}, {"replace", replace}};
                       },
                   .segments = [] { return Json::array(); },
                   .rekeyStation =
                       [](const Actor& c, const std::string& id) {
                           return Json{{"rekeyed", id}, {"by", c.name}};
                       }}};

    static size_t count(const std::vector<AuditRecord>& log, const std::string& action) {
        return static_cast<size_t>(
            std::count_if(log.begin(), log.end(), [&](const auto& r) { return r.action == action; }));
    }

    ApiResponse call(const std::string& method, const std::string& path, const std::string& token,
                     const std::string& body = "", const std::string& address = "10.0.0.1") {
        ApiRequest r;
        r.method = method;
        r.path = path;
        r.authorization = token.empty() ? "" : "Bearer " + token;
        r.address = address;
        r.body = body;
        return handler.handle(r);
    }
};
}  // namespace

TEST_F(ApiHandlerTest, EachRoleMayDoWhatItsRoleAllows) {
    EXPECT_EQ(call("GET", "/api/status", "t-vera").status, 200);
    EXPECT_EQ(call("GET", "/metrics", "t-vera").body.rfind("loa_destinations 1\n# HELP loa_api_refused_total", 0), 0u);
    const std::string test = R"({"status":"test","targets":{"all":true}})";
    EXPECT_EQ(call("POST", "/api/emergencies", "t-vera", test).status, 403);
    const auto created = call("POST", "/api/emergencies", "t-emma", test);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = Json::parse(created.body)["id"];
    EXPECT_EQ(call("GET", "/api/emergencies/" + id, "t-vera").status, 200);
    EXPECT_EQ(call("POST", "/api/emergencies/" + id + "/cancel", "t-vera").status, 403);
    EXPECT_EQ(call("POST", "/api/emergencies/" + id + "/cancel", "t-ada").status, 200);
    // A station's key: the admin only.
    EXPECT_EQ(call("GET", "/api/stations/a/sdp", "t-emma").status, 403);
    EXPECT_EQ(call("GET", "/api/stations/a/sdp", "t-ada").body, "v=0\r\n");
    EXPECT_EQ(call("GET", "/api/stations/zz/sdp", "t-ada").status, 404);
    EXPECT_EQ(call("GET", "/api/nothing", "t-ada").status, 404);
    // Stations and schedule entries: add, change, remove route to their own changes.
    EXPECT_EQ(Json::parse(call("POST", "/api/schedule", "t-ada", R"({"id":"news"})").body),
              (Json{{"entry", "news"}, {"action", "add"}}));
    EXPECT_EQ(Json::parse(call("POST", "/api/schedule/news", "t-ada", "{}").body),
              (Json{{"entry", "news"}, {"action", "change"}}));
    EXPECT_EQ(Json::parse(call("POST", "/api/stations/a/remove", "t-ada").body),
              (Json{{"station", "a"}, {"action", "remove"}}));
    EXPECT_EQ(call("POST", "/api/stations", "t-ada", "[]").status, 400);
}

TEST_F(ApiHandlerTest, MissingForgedAndRepeatedBadTokensAreRefusedAndSlowedDown) {
    EXPECT_EQ(call("GET", "/api/status", "").status, 401);
    EXPECT_EQ(call("GET", "/api/status", "t-vera-forged").status, 401);
    EXPECT_EQ(call("GET", "/api/status", "t-ver").status, 401);
    const auto expired = call("GET", "/api/status", "t-old");
    EXPECT_EQ(expired.status, 401);
    EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
    EXPECT_EQ(call("GET", "/api/status", "guess").status, 401);
    EXPECT_EQ(call("GET", "/api/status", "").status, 401) << "no token: refused, but no guess";
    EXPECT_EQ(call("GET", "/api/status", "guess-again").status, 401);
    // Five guesses from one address: the next guess from there is refused unread...
    EXPECT_EQ(call("GET", "/api/status", "guess-3").status, 429);
    // ...but a valid token from the same address is never slowed down by them.
    EXPECT_EQ(call("GET", "/api/status", "t-vera").status, 200);
    EXPECT_EQ(call("GET", "/api/status", "guess-4").status, 429);
    EXPECT_EQ(call("GET", "/api/status", "t-vera", "", "10.0.0.2").status, 200) << "other addresses are not slowed";
    // One audit row for the address's first refusal; the rest are counted...
    EXPECT_EQ(count(store.auditLog(50), "api.authenticate"), 1u);
    const auto metrics = call("GET", "/metrics", "t-vera").body;
    EXPECT_NE(metrics.find("loa_api_refused_total{reason=\"unknown token\"} 4"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("loa_api_refused_total{reason=\"too many failures\"} 2"), std::string::npos) << metrics;
    // ...and summarised in one row a minute.
    handler.summarizeRefusals(std::chrono::steady_clock::now() + std::chrono::seconds(61));
    const auto log = store.auditLog(50);
    ASSERT_EQ(count(log, "api.authenticate"), 2u);
    EXPECT_EQ(log.front().subject, "summary");
    EXPECT_EQ(Json::parse(log.front().detail)["10.0.0.1"]["unknown token"], 4) << log.front().detail;
}

TEST_F(ApiHandlerTest, AThousandRequestsWithoutATokenWriteOneRowAndASummary) {
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(call("GET", "/api/stations", "", "", "10.0.0." + std::to_string(i % 3)).status, 401);
    EXPECT_EQ(count(store.auditLog(2000), "api.authenticate"), 3u) << "one per address";
    handler.summarizeRefusals(std::chrono::steady_clock::now() + std::chrono::seconds(61));
    EXPECT_EQ(count(store.auditLog(2000), "api.authenticate"), 4u);
    handler.summarizeRefusals(std::chrono::steady_clock::now() + std::chrono::seconds(200));
    EXPECT_EQ(count(store.auditLog(2000), "api.authenticate"), 4u) << "nothing new, nothing written";
}

TEST_F(ApiHandlerTest, TheRouteTableDecidesFromTheHeadersBeforeAnyBodyIsRead) {
    // Every route is in the table, once, with its roles.
    std::set<std::string> seen;
    for (const auto& r : handler.routes())
        EXPECT_TRUE(seen.insert(r.method + " " + r.pattern).second) << r.pattern;
    EXPECT_GE(seen.size(), 20u);
    ApiRequest huge;
    huge.method = "POST";
    huge.path = "/api/stations";
    huge.address = "10.0.0.9";
    huge.contentLength = 32 << 20;  // declared, never sent: the answer needs none of it
    auto refusal = [&](ApiRequest r) {
        const auto d = handler.admit(r);
        return std::holds_alternative<ApiResponse>(d) ? std::get<ApiResponse>(d).status : 0;
    };
    EXPECT_EQ(refusal(huge), 401) << "no token";
    huge.authorization = "Bearer t-vera";
    EXPECT_EQ(refusal(huge), 403) << "a viewer may not add stations";
    huge.authorization = "Bearer t-ada";
    EXPECT_EQ(refusal(huge), 413) << "longer than api.max_body_bytes";
    huge.contentLength = 100;
    EXPECT_EQ(refusal(huge), 0) << "admitted";
    // A known path with another method, and unknown paths.
    EXPECT_EQ(call("GET", "/api/cap", "t-ada").status, 405);
    EXPECT_EQ(call("POST", "/api/status", "t-ada").status, 405);
    EXPECT_EQ(call("GET", "/api/stations//sdp", "t-ada").status, 404) << "an id is never empty";
    EXPECT_EQ(call("GET", "/api/stations/a/sdp/x", "t-ada").status, 404);
    // A refused role is audited under the route's action, before anything is read or done.
    EXPECT_EQ(call("POST", "/api/stations/a/remove", "t-emma").status, 403);
    EXPECT_EQ(call("POST", "/api/stations/a/rekey", "t-vera").status, 403);
    const auto log = store.auditLog(10);
    EXPECT_EQ(count(log, "station.remove"), 1u);
    EXPECT_EQ(count(log, "station.rekey"), 1u);
    EXPECT_EQ(Json::parse(call("POST", "/api/stations/a/rekey", "t-ada").body)["rekeyed"], "a");
    EXPECT_EQ(Json::parse(call("POST", "/api/segments/news.wav", "t-ada", "x").body)["replace"], false);
    ApiRequest replace;
    replace.method = "POST";
    replace.path = "/api/segments/news.wav";
    replace.query = {{"replace", "1"}};
    replace.authorization = "Bearer t-ada";
    replace.body = "x";
    EXPECT_EQ(Json::parse(handler.handle(replace).body)["replace"], true);
}

TEST_F(ApiHandlerTest, TheConsoleIsFoundFromTheRootAndLearnsWhoItsTokenIs) {
    const auto root = call("GET", "/", "");
    EXPECT_EQ(root.status, 302);
    EXPECT_EQ(root.location, "/console/");
    const auto me = Json::parse(call("GET", "/api/whoami", "t-emma").body);
    EXPECT_EQ(me["name"], "emma");
    EXPECT_EQ(me["role"], "emergency");
    EXPECT_EQ(me["two_person_rule"], true);
    EXPECT_EQ(call("GET", "/api/whoami", "").status, 401);
}

TEST_F(ApiHandlerTest, SegmentUploadsHaveTheirOwnSizeLimit) {
    const auto ok = call("POST", "/api/segments/news.wav", "t-ada", std::string(6000, 'x'));
    EXPECT_EQ(ok.status, 201) << ok.body << " (above max_body_bytes, within max_upload_bytes)";
    EXPECT_EQ(Json::parse(ok.body)["bytes"], 6000);
    EXPECT_EQ(call("POST", "/api/segments/news.wav", "t-ada", std::string(9000, 'x')).status, 413);
    EXPECT_EQ(call("POST", "/api/segments/news.wav", "t-vera", "x").status, 403) << "a viewer only reads";
    EXPECT_EQ(call("POST", "/api/stations", "t-ada", std::string(6000, 'x')).status, 413) << "others keep theirs";
}

TEST_F(ApiHandlerTest, BadBodiesAreRefusedWithTheirReason) {
    EXPECT_EQ(call("POST", "/api/emergencies", "t-emma", std::string(4096, 'x')).status, 413);
    const auto notJson = call("POST", "/api/emergencies", "t-emma", "{nope");
    EXPECT_EQ(notJson.status, 400);
    EXPECT_NE(notJson.body.find("not valid JSON"), std::string::npos);
    EXPECT_EQ(call("POST", "/api/emergencies", "t-emma", "[1,2]").status, 400);
    EXPECT_EQ(call("POST", "/api/emergencies/em-missing/confirm", "t-emma").status, 404);
    ApiRequest audit;
    audit.method = "GET";
    audit.path = "/api/audit";
    audit.query = {{"limit", "many"}};
    audit.authorization = "Bearer t-vera";
    EXPECT_EQ(handler.handle(audit).status, 400);
    EXPECT_EQ(ApiHandler::parseQuery("limit=5&before=7&x=a%20b+c"),
              (std::map<std::string, std::string>{{"limit", "5"}, {"before", "7"}, {"x", "a b c"}}));
}
