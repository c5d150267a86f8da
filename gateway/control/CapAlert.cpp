#include "control/CapAlert.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

#include "common/Base64.hpp"
#include "control/Refusal.hpp"

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
    throw Refusal(RefusalReason::invalid, "not a valid CAP 1.2 alert: " + why);
}

std::string required(const xmlNode* parent, const char* name) {
    const std::string value = childText(parent, name);
    if (value.empty()) invalid(std::string("<") + name + "> is missing");
    return value;
}
}  // namespace

std::optional<int64_t> parseCapTime(const std::string& t) {
    // Exactly YYYY-MM-DDThh:mm:ss followed by +hh:mm or -hh:mm (CAP forbids Z, but it is
    // accepted), every field in its range: a date that does not exist is not a date.
    const auto digits = [&](size_t at, size_t n, int& out) {
        if (at + n > t.size()) return false;
        out = 0;
        for (size_t i = at; i < at + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s;
    if (t.size() < 20 || !digits(0, 4, y) || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
        t[10] != 'T' || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' || !digits(17, 2, s))
        return std::nullopt;
    int oh = 0, om = 0, sign = 1;
    if (t.size() == 20 && t[19] == 'Z') {
    } else if (t.size() == 25 && (t[19] == '+' || t[19] == '-') && digits(20, 2, oh) && t[22] == ':' &&
               digits(23, 2, om)) {
        sign = t[19] == '+' ? 1 : -1;
    } else {
        return std::nullopt;
    }
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
        mi > 59 || s > 59 || oh > 14 || om > 59 || (oh == 14 && om > 0))
        return std::nullopt;
    tm utc{};
    utc.tm_year = y - 1900;
    utc.tm_mon = mo - 1;
    utc.tm_mday = d;
    utc.tm_hour = h;
    utc.tm_min = mi;
    utc.tm_sec = s;
    const time_t local = timegm(&utc);
    const int64_t offset = sign * (oh * 3600 + om * 60);
    return (static_cast<int64_t>(local) - offset) * 1000;
}

CapAlert parseCap(std::string_view xml) {
    // A CAP alert has no use for a DOCTYPE, and a DOCTYPE is how entities (an expansion bomb, a
    // local file) get into a document: refused before parsing, and again after, whatever the
    // encoding that hid it from this look.
    if (xml.find("<!DOCTYPE") != std::string_view::npos || xml.find("<!ENTITY") != std::string_view::npos)
        invalid("a DOCTYPE or an entity declaration is not allowed");
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
    if (doc->intSubset || doc->extSubset) invalid("a DOCTYPE or an entity declaration is not allowed");
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
