#include <gtest/gtest.h>

#include "FakeEmergencyOutput.hpp"

#include <nlohmann/json.hpp>

#include "TestData.hpp"
#include "api/ApiHandler.hpp"

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
        s.api->tokens = {{"old", ApiRole::admin, tokenHash("t-old"), 1000},  // expired in 1970
                         {"vera", ApiRole::viewer, tokenHash("t-vera")},
                         {"emma", ApiRole::emergency, tokenHash("t-emma")},
                         {"ada", ApiRole::admin, tokenHash("t-ada")}};
        return s;
    }();
    EmergencyManager manager{store, output, settings};
    ApiHandler handler{
        *settings.api, manager, store,
        ApiSources{[] {
                       return Json{{"gateway", "gw"}};
                   },
                   [] { return Json::array(); }, [] { return std::string("loa_destinations 1\n"); },
                   [](const std::string& id) -> std::optional<std::string> {
                       if (id == "a") return "v=0\r\n";
                       return std::nullopt;
                   },
                   [] { return Json::array(); },
                   [](const Caller&, const std::string& action, const std::string& id, const std::string&) {
                       return Json{{"station", id}, {"action", action}};
                   },
                   [](const Caller&, const std::string& action, const std::string& id, const std::string&) {
                       return Json{{"entry", id}, {"action", action}};
                   },
                   [](const Caller& c, const std::string& name, const std::string& body) {
                       return Json{{"name", name}, {"bytes", body.size()}, {"by", c.name}};
                   },
                   [] { return Json::array(); },
                   [](const Caller& c, const std::string& id) { return Json{{"rekeyed", id}, {"by", c.name}}; }}};

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
    EXPECT_EQ(call("GET", "/metrics", "t-vera").body, "loa_destinations 1\n");
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
    // Five guesses from one address: it must wait, even with a good token now.
    EXPECT_EQ(call("GET", "/api/status", "t-vera").status, 429);
    EXPECT_EQ(call("GET", "/api/status", "t-vera", "", "10.0.0.2").status, 200) << "other addresses are not slowed";
    const auto log = store.auditLog(10);
    EXPECT_EQ(std::count_if(log.begin(), log.end(), [](const auto& r) { return r.action == "api.authenticate"; }), 7);
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
