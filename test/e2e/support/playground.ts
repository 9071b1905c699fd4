import type { Locator, Page } from 'playwright-core';
import { PLAYGROUND_BOT, PLAYGROUND_NAMES } from '../../../scripts/playground/identities.ts';
import type { PlaygroundPerson, PlaygroundPersonKey } from '../../../scripts/playground/identities.ts';
import { cardInputs } from '../../../scripts/playground/playground-api.ts';
import { startPlayground } from '../../../scripts/playground/start-playground.ts';
import type { RunningPlayground } from '../../../scripts/playground/start-playground.ts';

/**
 * Drives the Microsoft 365 Agents Playground for end-to-end tests, three ways:
 * - PlaygroundUi: its web page, as the current user (Tess Teacher unless the playground was started as
 *   someone else) — open chats and channels, type, click card buttons, fill card inputs, read cards;
 * - PlaygroundApi: its internal HTTP endpoints — messages as the current user, messages as any mock
 *   member (a "custom activity"), and card actions (invokes) as any mock member;
 * - ConversationStream: its WebSocket, which carries every message and edit the bot makes.
 * The last two live in scripts/playground/playground-api.ts (the demo uses them too) and are re-exported here.
 */

export type { PlaygroundPerson, PlaygroundPersonKey, RunningPlayground };
export { ConversationStream, PlaygroundApi, cardActions, cardInputs, cardText, eventually } from '../../../scripts/playground/playground-api.ts';
export type { CardAction, CardInput, InvokeResult, StreamMessage } from '../../../scripts/playground/playground-api.ts';

/** Starts a playground on a free port in front of `botEndpoint`. */
export function startTestPlayground(botEndpoint: string, options: { currentUser?: PlaygroundPersonKey } = {}): Promise<RunningPlayground> {
  return startPlayground({ botEndpoint, port: 0, ...(options.currentUser ? { currentUser: options.currentUser } : {}) });
}

// ---------------------------------------------------------------------------------------------------
// The web page

export class PlaygroundUi {
  readonly page: Page;
  readonly baseUrl: string;

  constructor(page: Page, baseUrl: string) {
    this.page = page;
    this.baseUrl = baseUrl;
  }

  /**
   * Loads the page. Open it before the bot is asked to post anything: the page keeps conversations only in
   * memory, and every load sends the bot the personal chat's install events again.
   */
  async open(): Promise<void> {
    await this.page.goto(this.baseUrl);
    // The page asks the playground for its config, which first waits (up to 15 s) for the bot.
    await this.page.getByRole('treeitem', { name: 'Personal Chat' }).waitFor({ timeout: 30000 });
  }

  async openPersonalChat(): Promise<void> {
    await this.page.getByRole('treeitem', { name: 'Personal Chat' }).click();
    await this.chatComposer().waitFor();
  }

  async openGroupChat(): Promise<void> {
    await this.page.getByRole('treeitem', { name: PLAYGROUND_NAMES.groupChat }).click();
    await this.chatComposer().waitFor();
  }

  /** Opens a channel of the team. The first opening sends the bot the team's install events. */
  async openChannel(name: string = PLAYGROUND_NAMES.casesChannel): Promise<void> {
    await this.page.getByRole('treeitem', { name: `${PLAYGROUND_NAMES.team} - ${name}` }).click();
    await this.page.getByRole('button', { name: 'Post', exact: true }).waitFor();
  }

  private chatComposer(): Locator {
    return this.page.locator('[role=textbox][data-lexical-editor]').last();
  }

  /** Types a message in the open personal or group chat and sends it with Enter. */
  async sendInChat(text: string): Promise<void> {
    const composer = this.chatComposer();
    await composer.click();
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  /** Starts a new post in the open channel, @mentioning the bot first if asked (the bot only hears mentions). */
  async postInChannel(text: string, options: { mentionBot?: boolean } = {}): Promise<void> {
    const composer = this.page.locator('[role=textbox][data-lexical-editor]').first();
    await composer.click();
    if (options.mentionBot) {
      await this.page.keyboard.type('@');
      await this.page.getByRole('menuitem', { name: PLAYGROUND_BOT.name }).click();
      await this.page.keyboard.type(' ');
    }
    await this.page.keyboard.type(text);
    await this.page.getByRole('button', { name: 'Post', exact: true }).click();
  }

  /** Messages from the bot in the open conversation (chat bubbles, or whole channel threads). */
  botMessages(): Locator {
    return this.page.locator('.fai-OutputCard, [role=group].fui-Card');
  }

  /** Waits until a bot message with this text is on screen and returns it. */
  async waitForBotText(text: string | RegExp, timeoutMs = 15000): Promise<Locator> {
    const message = this.botMessages().filter({ hasText: text }).last();
    await message.waitFor({ timeout: timeoutMs });
    return message;
  }

  /** The Adaptive Cards on screen, oldest first in a chat (a channel lists its newest thread first). */
  cards(): Locator {
    return this.page.locator('.ac-adaptiveCard');
  }

  /** The last card on screen that shows this text. */
  card(text: string | RegExp): Locator {
    return this.cards().filter({ hasText: text }).last();
  }

  /** The newest card in the open chat. */
  latestCard(): Locator {
    return this.cards().last();
  }

  async clickCardButton(card: Locator, title: string): Promise<void> {
    await card.getByRole('button', { name: title, exact: true }).click();
  }

  /** Types into a text input found by its label (click and type: fill() does not always reach the card). */
  async typeIntoCardInput(card: Locator, label: string, text: string): Promise<void> {
    const input = card.getByLabel(label);
    await input.click();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.type(text);
  }

  /**
   * Chooses options of an Input.ChoiceSet by their titles. A compact choice set is a combo box named by
   * its label (multi-select ones stay open for more choices); an expanded one is checkboxes or radio
   * buttons named by the choice titles.
   */
  async chooseInCard(card: Locator, label: string | undefined, titles: string[]): Promise<void> {
    const combo = label ? card.getByRole('combobox', { name: label }) : undefined;
    if (combo && (await combo.count()) > 0) {
      for (const title of titles) {
        if ((await combo.getAttribute('aria-expanded')) !== 'true') await combo.click();
        const listId = await combo.getAttribute('aria-controls');
        const list = listId ? this.page.locator(`[id="${listId}"]`) : this.page.locator('[role=listbox], [role=menu]').last();
        await list
          .locator('[role=option], [role=menuitemcheckbox]')
          .filter({ hasText: new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) })
          .click();
      }
      if ((await combo.getAttribute('aria-expanded')) === 'true') await this.page.keyboard.press('Escape');
      return;
    }
    // An expanded choice's accessible name is the set's label followed by the choice's title.
    for (const title of titles) {
      const box = card.getByRole('checkbox', { name: title }).or(card.getByRole('radio', { name: title })).first();
      if (!(await box.isChecked())) await box.click();
    }
  }

  /** Sets an Input.Toggle (a checkbox whose accessible name is its label followed by its title). */
  async setCardToggle(card: Locator, title: string, on: boolean): Promise<void> {
    const box = card.getByRole('checkbox', { name: title }).first();
    if ((await box.isChecked()) !== on) await box.click();
  }

  /**
   * Fills a rendered card's inputs by their ids, using the card's JSON (from the conversation stream) to
   * find each input's label and each choice's title. Values: text for text inputs, choice values (array
   * for multi-select) for choice sets, booleans for toggles.
   */
  async fillCard(card: Locator, cardJson: unknown, values: Record<string, string | string[] | boolean>): Promise<void> {
    const inputs = cardInputs(cardJson);
    for (const [id, value] of Object.entries(values)) {
      const input = inputs.find((candidate) => candidate.id === id);
      if (!input) throw new Error(`The card has no input "${id}" (it has: ${inputs.map((i) => i.id).join(', ') || 'none'}).`);
      if (input.type === 'Input.Toggle') {
        if (!input.title) throw new Error(`Toggle "${id}" has no title to find it by.`);
        await this.setCardToggle(card, input.title, value === true || value === input.valueOn);
      } else if (input.type === 'Input.ChoiceSet') {
        const wanted = Array.isArray(value) ? value : [String(value)];
        const titles = wanted.map((v) => {
          const choice = input.choices?.find((c) => c.value === v);
          if (!choice) throw new Error(`Choice set "${id}" has no value "${v}" (it has: ${(input.choices ?? []).map((c) => c.value).join(', ')}).`);
          return choice.title;
        });
        await this.chooseInCard(card, input.label, titles);
      } else {
        const name = input.label ?? input.placeholder;
        if (!name) throw new Error(`Input "${id}" has neither a label nor a placeholder to find it by.`);
        if (input.label) {
          await this.typeIntoCardInput(card, input.label, String(value));
        } else {
          await card.getByPlaceholder(name).click();
          await this.page.keyboard.press('ControlOrMeta+A');
          await this.page.keyboard.type(String(value));
        }
      }
    }
  }
}
