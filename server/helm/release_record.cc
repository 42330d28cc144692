#include "server/helm/release_record.h"

#include <zlib.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/util/kube_time.h"

namespace capi_bridge::helm {
namespace {

absl::StatusOr<std::string> Gunzip(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[65536];
  int rc;
  do {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return absl::DataLossError("helm release record is not valid gzip");
    }
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
               Z_DEFAULT_STRATEGY);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[65536];
  int rc;
  do {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    rc = deflate(&stream, Z_FINISH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  } while (rc != Z_STREAM_END);
  deflateEnd(&stream);
  return out;
}

// See ReleaseRecord::updated.
absl::Time UpdatedAt(const nlohmann::json& secret,
                     const nlohmann::json& release, const std::string& status) {
  std::string modified =
      secret.value("/metadata/labels/modifiedAt"_json_pointer, "");
  int64_t seconds = 0;
  if (absl::SimpleAtoi(modified, &seconds) && seconds > 0) {
    return absl::FromUnixSeconds(seconds);
  }
  absl::Time when = util::ParseKubeTime(release.value(
      status == "uninstalling" ? "/info/deleted"_json_pointer
                               : "/info/last_deployed"_json_pointer,
      ""));
  if (when != absl::InfinitePast()) return when;
  return util::ParseKubeTime(
      secret.value("/metadata/creationTimestamp"_json_pointer, ""));
}

}  // namespace

std::string ReleaseSecretSelector(const std::string& release) {
  return absl::StrCat("owner=helm,name=", release);
}

absl::StatusOr<ReleaseRecord> DecodeReleaseSecret(
    const nlohmann::json& secret) {
  if (!secret.is_object()) {
    return absl::DataLossError("a helm release Secret is not an object");
  }
  std::string name;
  if (auto n = secret.find("metadata"); n != secret.end() && n->is_object()) {
    auto v = n->find("name");
    if (v != n->end() && v->is_string()) name = v->get<std::string>();
  }
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object() ||
      !data->contains("release") || !(*data)["release"].is_string()) {
    return absl::DataLossError(
        absl::StrCat("helm release Secret ", name, " has no release key"));
  }
  std::string outer, inner;
  if (!absl::Base64Unescape((*data)["release"].get<std::string>(), &outer) ||
      !absl::Base64Unescape(outer, &inner)) {
    return absl::DataLossError(
        absl::StrCat("helm release Secret ", name, " is not base64"));
  }
  // helm gzips records; very old ones were plain JSON.
  std::string text = inner;
  if (inner.size() > 2 && static_cast<unsigned char>(inner[0]) == 0x1f &&
      static_cast<unsigned char>(inner[1]) == 0x8b) {
    auto unzipped = Gunzip(inner);
    if (!unzipped.ok()) return unzipped.status();
    text = *std::move(unzipped);
  }
  ReleaseRecord record;
  try {
    auto release = nlohmann::json::parse(text);
    record.name = release.value("name", "");
    record.revision = release.value("version", 0);
    record.status = release.value("/info/status"_json_pointer, "");
    record.chart_name = release.value("/chart/metadata/name"_json_pointer, "");
    record.chart_version =
        release.value("/chart/metadata/version"_json_pointer, "");
    record.values = release.value("config", nlohmann::json::object());
    if (record.values.is_null()) record.values = nlohmann::json::object();
    record.description = release.value("/info/description"_json_pointer, "");
    // Moved, not copied: every verb reads the whole history, and each
    // revision's manifest holds the rendered chart.
    if (auto m = release.find("manifest"); m != release.end()) {
      record.manifest = std::move(m->get_ref<std::string&>());  // or throws
    }
    record.updated = UpdatedAt(secret, release, record.status);
  } catch (const nlohmann::json::exception&) {
    return absl::DataLossError(
        absl::StrCat("helm release Secret ", name, " holds no JSON record"));
  }
  return record;
}

std::string EncodeReleasePayload(const nlohmann::json& release) {
  return absl::Base64Escape(absl::Base64Escape(Gzip(release.dump())));
}

}  // namespace capi_bridge::helm
