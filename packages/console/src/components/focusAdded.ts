import { type RefObject, useEffect, useRef } from "react";

/**
 * When a list grows by an item the person added, the focus moves to the new item's first control,
 * so that someone using the keyboard types straight into it. Items removed or reordered leave the
 * focus where it is.
 */
export const useFocusOnAdded = (count: number): RefObject<HTMLElement | null> => {
  const list = useRef<HTMLElement | null>(null);
  const previous = useRef(count);
  useEffect(() => {
    const grew = count > previous.current;
    previous.current = count;
    if (!grew) return;
    const items = list.current?.children;
    const added = items?.[items.length - 1];
    added?.querySelector<HTMLElement>("input, select, button:not([disabled])")?.focus();
  }, [count]);
  return list;
};
