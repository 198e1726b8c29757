const KEY = "airlock.console.recentWorkspaces";

/** Workspaces this browser opened lately, newest first: the API has no list of them for researchers. */
export const recentWorkspaces = (): string[] => {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
};

export const rememberWorkspace = (id: string): void => {
  const next = [id, ...recentWorkspaces().filter((item) => item !== id)].slice(0, 8);
  localStorage.setItem(KEY, JSON.stringify(next));
};
