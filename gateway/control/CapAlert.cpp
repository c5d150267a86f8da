#include "control/CapAlert.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

#include "common/Base64.hpp"
#include "control/EmergencyManager.hpp"

namespace loa {
namespace {
constexpr const char* kCapNamespace = "urn:oasis:names:tc:emergency:cap:1.2";

bool named(const xmlNode* n, const char* name) {
    return n->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(n->name), name) == 0 && n->ns &&
           n->ns->href && std::strcmp(reinterpret_cast<const char*>(n->ns->href), kCapNamespace) == 0;
}

std::string text(const xmlNode* n) {
    std::unique_ptr<xmlChar, decltype(xmlFree)> content(xmlNodeGetContent(n), xmlFree);
    std::string s = content ? reinterpret_cast<const char*>(content.get()) : "";
    const auto first = s.find_first_not_of(" \t\r\n");
    const auto last = s.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

const xmlNode* child(const xmlNode* parent, const char* name) {
    for (const xmlNode* c = parent->children; c; c = c->next)
        if (named(c, name)) return c;
    return nullptr;
}

std::string childText(const xmlNode* parent, const char* name) {
    const auto* c = child(parent, name);
    return c ? text(c) : "";
}

template <class F>
void forEach(const xmlNode* parent, const char* name, F&& f) {
    for (const xmlNode* c = parent->children; c; c = c->next)
        if (named(c, name)) f(c);
}

[[noreturn]] void invalid(const std::string& why) {
    throw RequestError(400, "not a valid CAP 1.2 alert: " + why);
}

std::string required(const xmlNode* parent, const char* name) {
    const std::string value = childText(parent, name);
    if (value.empty()) invalid(std::string("<") + name + "> is missing");
    return value;
}
}  // namespace

std::optional<int64_t> parseCapTime(const std::string& t) {
    // YYYY-MM-DDThh:mm:ss followed by +hh:mm, -hh:mm (CAP forbids Z, but it is accepted).
    int y, mo, d, h, mi, s;
    char sign = 0;
    int oh = 0, om = 0;
    if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6 || t.size() < 19)
        return std::nullopt;
    const std::string zone = t.substr(19);
    if (zone == "Z") {
        sign = '+';
    } else if (std::sscanf(zone.c_str(), "%c%2d:%2d", &sign, &oh, &om) != 3 || (sign != '+' && sign != '-')) {
        return std::nullopt;
    }
    tm utc{};
    utc.tm_year = y - 1900;
    utc.tm_mon = mo - 1;
    utc.tm_mday = d;
    utc.tm_hour = h;
    utc.tm_min = mi;
    utc.tm_sec = s;
    const time_t local = timegm(&utc);
    const int64_t offset = (sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    return (static_cast<int64_t>(local) - offset) * 1000;
}

CapAlert parseCap(std::string_view xml) {
    // No network, no DTD loading, no entity substitution: a document cannot reach out.
    std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "cap.xml", nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
        xmlFreeDoc);
    if (!doc) {
        const xmlError* e = xmlGetLastError();
        std::string why = e && e->message ? e->message : "not well-formed XML";
        while (!why.empty() && why.back() == '\n')
            why.pop_back();
        invalid("the XML does not parse" + (e ? " (line " + std::to_string(e->line) + "): " + why : ""));
    }
    const xmlNode* root = xmlDocGetRootElement(doc.get());
    if (!root || !named(root, "alert")) invalid("the root element is not <alert> in " + std::string(kCapNamespace));
    CapAlert a;
    a.identifier = required(root, "identifier");
    a.sender = required(root, "sender");
    a.sent = required(root, "sent");
    a.status = required(root, "status");
    a.msgType = required(root, "msgType");
    required(root, "scope");
    if (!parseCapTime(a.sent)) invalid("<sent> is not a date-time such as 2026-11-23T10:00:00+07:00");
    static const char* kStatuses[] = {"Actual", "Exercise", "System", "Test", "Draft"};
    if (std::none_of(std::begin(kStatuses), std::end(kStatuses), [&](const char* s) { return a.status == s; }))
        invalid("<status> '" + a.status + "' is not Actual, Exercise, System, Test or Draft");
    static const char* kTypes[] = {"Alert", "Update", "Cancel", "Ack", "Error"};
    if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* s) { return a.msgType == s; }))
        invalid("<msgType> '" + a.msgType + "' is not Alert, Update, Cancel, Ack or Error");
    std::stringstream refs(childText(root, "references"));
    for (std::string ref; refs >> ref;) {
        const auto c1 = ref.find(','), c2 = ref.find(',', c1 == std::string::npos ? c1 : c1 + 1);
        if (c1 == std::string::npos || c2 == std::string::npos)
            invalid("<references> entry '" + ref + "' is not sender,identifier,sent");
        a.references.push_back({ref.substr(0, c1), ref.substr(c1 + 1, c2 - c1 - 1), ref.substr(c2 + 1)});
    }
    if ((a.msgType == "Update" || a.msgType == "Cancel") && a.references.empty())
        invalid("an " + a.msgType + " needs <references>");
    forEach(root, "info", [&](const xmlNode* info) {
        if (const std::string expires = childText(info, "expires"); !expires.empty()) {
            const auto when = parseCapTime(expires);
            if (!when) invalid("<expires> '" + expires + "' is not a date-time");
            if (!a.expiresMs || *when < *a.expiresMs) a.expiresMs = when;
        }
        if (const std::string headline = childText(info, "headline"); !headline.empty())
            a.headlines.push_back(headline);
        forEach(info, "area", [&](const xmlNode* area) {
            forEach(area, "geocode", [&](const xmlNode* g) {
                const std::string value = childText(g, "value");
                if (value.empty()) invalid("a <geocode> has no <value>");
                a.geocodes.push_back(value);
            });
        });
        forEach(info, "resource", [&](const xmlNode* r) {
            CapResource res{childText(r, "resourceDesc"), childText(r, "mimeType"), childText(r, "uri"), {}};
            if (const std::string deref = childText(r, "derefUri"); !deref.empty()) {
                std::string compact;
                for (char c : deref)
                    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
                auto bytes = base64Decode(compact);
                if (!bytes) invalid("a <derefUri> is not base64");
                res.content = std::move(*bytes);
            }
            a.resources.push_back(std::move(res));
        });
    });
    return a;
}

}  // namespace loa
