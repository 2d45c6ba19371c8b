/**
 * The peers of the lab profiles the wire tests share, as YAML list entries under `peers:`: the
 * core on 127.0.0.1 (caller) and 127.0.0.2 (callee), weather-as (untrusted, pseudonyms, one
 * app, own DCs only) on 127.0.0.3, games-as (untrusted, anonymous, any app) on 127.0.0.4.
 * `extra`: more keys of that peer, indented four spaces.
 */
export function corePeerYaml(): string {
  return `  - id: core
    trusted: true
    match: { source: ["127.0.0.1/32", "127.0.0.2/32"] }
`;
}

export function weatherAsYaml(port: number, extra = ''): string {
  return `  - id: weather-as
    trusted: false
    uri: "sip:127.0.0.3:${port}"
    match: { source: ["127.0.0.3/32"] }
    identity: pseudonym
    grants:
      bootstrap: false
      apps: ["com.example.weather"]
      max_channels: 4
      max_bandwidth_kbps: 256
      modify: own
      terminate: false
${extra}`;
}

export function gamesAsYaml(port: number, extra = ''): string {
  return `  - id: games-as
    trusted: false
    uri: "sip:127.0.0.4:${port}"
    match: { source: ["127.0.0.4/32"] }
    identity: anonymous
    grants:
      apps: ["*"]
      modify: any
      terminate: true
${extra}`;
}
