// loactl: the command line for a gateway's control API.

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/HttpClient.hpp"
#include "common/Error.hpp"

namespace {
constexpr const char* kUsage = R"(usage: loactl [--url URL] [--token TOKEN] [--ca FILE] [--insecure] COMMAND
  status                          the gateway, its programmes and what is on air
  stations                        every station, its counters and what it reports
  stations add JSON               a new station (operator), e.g. '{"id":"c-9","programme":"national",
                                  "address":"198.51.100.7:5004","area":"01/001/00009"}'
  stations change ID JSON         replace a station's definition (operator)
  stations remove ID              (operator)
  stations rekey ID               a new key for a station whose state was lost (admin, audited):
                                  prints its new SDP, to be given to the station
  keys --station ID               a station's SDP, with its key (admin)
  schedule                        the schedule and each entry's next start
  emergency list [--all]          emergencies pending or on air (--all: every one)
  emergency show ID
  emergency trigger --status actual|exercise|test (--all | --area CODES | --group NAME | --station ID)...
                    [--message NAME] [--no-tone] [--expires SECONDS] [--note TEXT]
  emergency confirm ID            the second operator's confirmation of an actual emergency
  emergency cancel ID
  audit [--limit N]               the audit log, newest first
  metrics                         Prometheus text
URL defaults to $LOA_URL or http://127.0.0.1:8080; TOKEN to $LOA_TOKEN.
Exit status: 0 when the gateway agreed, 1 when it refused (its reason is printed), 2 on bad usage.
)";

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "loactl: " << why << "\n" << kUsage;
    std::exit(2);
}
}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    loa::HttpTarget target;
    target.url = std::getenv("LOA_URL") ? std::getenv("LOA_URL") : "http://127.0.0.1:8080";
    target.token = std::getenv("LOA_TOKEN") ? std::getenv("LOA_TOKEN") : "";
    size_t i = 0;
    auto value = [&](const std::string& flag) -> std::string {
        if (i + 1 >= args.size()) usage(flag + " needs a value");
        return args[++i];
    };
    for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
        if (args[i] == "--url")
            target.url = value("--url");
        else if (args[i] == "--token")
            target.token = value("--token");
        else if (args[i] == "--ca")
            target.caFile = value("--ca");
        else if (args[i] == "--insecure")
            target.insecure = true;
        else if (args[i] == "--help" || args[i] == "-h") {
            std::cout << kUsage;
            return 0;
        } else
            usage("unknown option " + args[i]);
    }
    if (i >= args.size()) usage("a command is needed");
    const std::string command = args[i++];
    std::string method = "GET", path, body;
    if (command == "stations" && i + 1 < args.size() && (args[i] == "add" || args[i] == "change")) {
        // stations add JSON | stations change ID JSON
        method = "POST";
        const bool add = args[i] == "add";
        if (!add && i + 2 >= args.size()) usage("stations change ID JSON");
        path = add ? "/api/stations" : "/api/stations/" + args[i + 1];
        body = args[add ? i + 1 : i + 2];
    } else if (command == "stations" && i + 1 < args.size() && (args[i] == "remove" || args[i] == "rekey")) {
        method = "POST";
        path = "/api/stations/" + args[i + 1] + "/" + args[i];
    } else if (command == "status" || command == "stations" || command == "schedule" || command == "metrics") {
        path = command == "metrics" ? "/metrics" : "/api/" + command;
    } else if (command == "keys") {
        if (i + 1 >= args.size() || args[i] != "--station") usage("keys --station ID");
        path = "/api/stations/" + args[i + 1] + "/sdp";
    } else if (command == "audit") {
        path = "/api/audit";
        if (i < args.size() && args[i] == "--limit") path += "?limit=" + value("--limit");
    } else if (command == "emergency") {
        if (i >= args.size()) usage("emergency needs list, show, trigger, confirm or cancel");
        const std::string verb = args[i++];
        if (verb == "list") {
            path = "/api/emergencies";
            if (i < args.size() && args[i] == "--all") path += "?all=1";
        } else if ((verb == "show" || verb == "confirm" || verb == "cancel") && i < args.size()) {
            path = "/api/emergencies/" + args[i] + (verb == "show" ? "" : "/" + verb);
            if (verb != "show") method = "POST";
        } else if (verb == "trigger") {
            nlohmann::json request = {{"targets", nlohmann::json::object()}};
            for (; i < args.size(); ++i) {
                const auto& a = args[i];
                if (a == "--status")
                    request["status"] = value(a);
                else if (a == "--all")
                    request["targets"]["all"] = true;
                else if (a == "--area")
                    request["targets"]["areas"].push_back(value(a));
                else if (a == "--group")
                    request["targets"]["groups"].push_back(value(a));
                else if (a == "--station")
                    request["targets"]["stations"].push_back(value(a));
                else if (a == "--message")
                    request["message"] = value(a);
                else if (a == "--no-tone")
                    request["tone"] = false;
                else if (a == "--expires")
                    request["expires_s"] = std::stoll(value(a));
                else if (a == "--note")
                    request["note"] = value(a);
                else
                    usage("unknown trigger option " + a);
            }
            if (!request.contains("status")) usage("trigger needs --status actual|exercise|test");
            method = "POST";
            path = "/api/emergencies";
            body = request.dump();
        } else {
            usage("emergency " + verb + ": unknown, or its ID is missing");
        }
    } else {
        usage("unknown command " + command);
    }
    try {
        const auto result = loa::httpRequest(target, method, path, body);
        const bool ok = result.status >= 200 && result.status < 300;
        (ok ? std::cout : std::cerr) << result.body << (result.body.empty() || result.body.back() != '\n' ? "\n" : "");
        if (!ok) std::cerr << "loactl: the gateway answered " << result.status << "\n";
        return ok ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "loactl: " << e.what() << "\n";
        return 1;
    }
}
