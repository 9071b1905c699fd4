/**
 * The few DOM features the task pane uses, typed locally: the project type-checks browser and server code
 * in one program without the DOM library, so browser globals are reached through these narrow types.
 */

export interface PaneElement {
  hidden: boolean;
  textContent: string | null;
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  focus(): void;
  /** Replaces the element's children (the people search's results). */
  replaceChildren?(...children: PaneElement[]): void;
}

export interface PaneInput extends PaneElement {
  value: string;
  checked: boolean;
  disabled: boolean;
}

export interface PaneDocument {
  readyState: string;
  getElementById(id: string): PaneElement | null;
  querySelectorAll(selector: string): ArrayLike<PaneInput>;
  addEventListener(type: string, listener: () => void): void;
  createElement?(tagName: string): PaneInput;
}

export function browserDocument(): PaneDocument | undefined {
  return (globalThis as { document?: PaneDocument }).document;
}

export function browserLocation(): { hostname?: string; origin?: string } | undefined {
  return (globalThis as { location?: { hostname?: string; origin?: string } }).location;
}

export function browserOnline(): boolean | undefined {
  const navigatorObject = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return typeof navigatorObject?.onLine === 'boolean' ? navigatorObject.onLine : undefined;
}
