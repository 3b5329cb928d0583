// Types of the Dépêche loader's API (embed.js, and the npm package `depeche-widget`).

/** What a mount shows. */
export type Kind = 'banner' | 'card';

/** `auto` follows the reader's `prefers-color-scheme`. */
export type Theme = 'light' | 'dark' | 'auto';

/** The widget's settings: the script tag's `data-*` attributes, by their option names. */
export interface Settings {
  /** URL of the JSON Feed (required on the first mount without a script tag). */
  feed?: string;
  /** URL of the view collector; no counting without it. */
  beacon?: string;
  /** URL of the collector's event stream: alerts arrive at once. */
  events?: string;
  /** Interface language (BCP 47), before the item's, the feed's and the page's. */
  lang?: string;
  /** IANA time zone for dates; the reader's own when absent. */
  timeZone?: string;
  /** The banner shows items at or under this urgency (1–9, default 2). */
  urgency?: number;
  /** Seconds between refreshes; 0 turns refreshing off (default 60). */
  refresh?: number;
  /** Seconds before a feed request is abandoned (default 8). */
  timeout?: number;
  /** Larger feeds are refused before parsing (default 2,000,000 bytes). */
  maxBytes?: number;
}

/** A mount's options, and the settings of the first mount when there is no script tag. */
export interface MountOptions extends Settings {
  /** Banner or card (default: the element's `data-depeche`, else `card`). */
  kind?: Kind;
  /** The item id a card is pinned to (`data-article`); the newest item otherwise. */
  article?: string;
  /** Light, dark, or the reader's preference (`data-theme`); may change at any time. */
  theme?: Theme;
  /** Where the `.wasm` file is, for bundlers that move it (default: `pkg/depeche_bg.<hash>.wasm` beside the loader, named by the build). */
  wasm?: string | URL;
}

/** Makes `element` a mount point and renders it; resolves to whether the widget runs. */
export function mount(element: Element, options?: MountOptions): Promise<boolean>;

/** Stops rendering into `element` and releases what it held. */
export function unmount(element: Element): void;

/** Fetches the feed now rather than at the next refresh. */
export function refresh(): Promise<void>;

/** `detail` of `depeche:render` and `depeche:view`. */
export interface ItemDetail {
  /** The item's id. */
  item: string;
}

/** `detail` of `depeche:error`. */
export interface ErrorDetail {
  /** The message also written to the console. */
  message: string;
}

/** The events a mount dispatches (they bubble out of the shadow root). */
export interface DepecheEventMap {
  /** A mount is rendered for the first time. */
  'depeche:render': CustomEvent<ItemDetail>;
  /** A refresh or an expiry changed what a mount shows. */
  'depeche:update': CustomEvent<Record<string, never>>;
  /** A view of the mount's item was counted and sent. */
  'depeche:view': CustomEvent<ItemDetail>;
  /** A problem was reported. */
  'depeche:error': CustomEvent<ErrorDetail>;
}

declare global {
  interface DocumentEventMap extends DepecheEventMap {}
  interface HTMLElementEventMap extends DepecheEventMap {}
}
